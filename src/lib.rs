//! # painpoints
//!
//! Find the recurring top problems in free-text customer complaints.
//!
//! painpoints reads complaints (survey open-ends, tickets, reviews), groups
//! the ones that say the same thing by shared keywords and text similarity,
//! names each group in an analyst's words, and ranks the groups so the
//! top three problems come first, with size, share and real examples.
//!
//! The pipeline, one module per stage:
//!
//! * [`answers`]: answers that hold no complaint ("n/a", "no comment",
//!   "all good"), treated as blank rows.
//! * [`normalize`]: Unicode NFKC, case folding, masks for URLs, e-mails,
//!   phone numbers, ids, amounts, dates and redaction marks.
//! * [`segment`]: UAX #29 words, stop words, stemming, negation, CJK bigrams.
//! * [`phrases`]: frequent multi-word phrases kept as units.
//! * [`vectorize`]: vocabulary and sparse weighted term vectors (TF-IDF
//!   with a burstiness bonus).
//! * [`cluster`]: a nearest-neighbour graph and consensus Louvain
//!   communities, settled by spherical k-means; no `k` needed, and the row
//!   order does not matter.
//! * [`mixture`]: with the built-in word vectors, a Dirichlet multinomial
//!   mixture refines the groups and scores complaints by how likely their
//!   words are under each problem.
//! * [`wordvec`]: built-in static word vectors (distilled from a sentence
//!   model) blended into the similarity, so related words count as related.
//! * [`embed`]: optional sentence embeddings blended into the similarity.
//! * [`describe`]: keywords, labels, examples, cohesion.
//! * [`rank`]: ordering and coverage.
//! * [`themes`]: related problems grouped one level up.
//! * [`edits`]: analyst edits and stable ids across refits.
//! * [`model`]: [`ProblemModelParams`] → [`ProblemModel`], scoring, model files.
//!
//! ```
//! use painpoints::{Control, ProblemModelParams};
//! let mut texts = Vec::new();
//! for i in 0..30 {
//!     texts.push(Some(format!("my refund was not received, order {i}")));
//!     texts.push(Some(format!("the app crashes at login, try {i}")));
//! }
//! let params = ProblemModelParams { min_size: Some(5), ..Default::default() };
//! let fit = params.fit(&texts, &Control::new()).unwrap();
//! assert_eq!(fit.model.problems().len(), 2);
//! assert_eq!(fit.labels.len(), texts.len());
//! let new = fit.model.predict(&[Some("my refund was not received yet")], &Control::new()).unwrap();
//! assert_eq!(new[0], fit.labels[0]);
//! ```
#![deny(missing_docs)]

pub mod answers;
pub mod chargrams;
pub mod cluster;
pub mod control;
pub mod describe;
pub mod edits;
pub mod embed;
pub mod error;
pub mod mixture;
pub mod model;
pub mod normalize;
pub mod phrases;
pub mod rank;
pub mod segment;
pub mod themes;
pub mod vectorize;
pub mod wordvec;

#[cfg(feature = "python")]
mod python;

pub use control::Control;
pub use describe::{Example, Keyword};
pub use edits::{Edit, Lineage};
pub use embed::Embeddings;
pub use error::{Error, ErrorKind, Result};
pub use model::{Fit, Problem, ProblemModel, ProblemModelParams, Theme, NO_PROBLEM, SCHEMA_VERSION};

/// The library version (from Cargo.toml), written into model files.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
