//! Stage 5: describing problems.
//!
//! Per problem: distinctive keywords by class-based TF-IDF (a term's share
//! of the problem's complaints times how rare it is across problems, as in
//! c-TF-IDF), a short label (the best-scoring run of one to three adjacent
//! keywords as complaints write them, so "refund not received" rather than
//! "refund_not_receiv"), and a profile of its most distinctive terms from
//! which the model picks representative complaints (typical of the centre
//! and saying what sets the problem apart). Cohesion (mean similarity of
//! members to the centre) is computed with the assignment.

use crate::vectorize::{SparseVec, TermKind, Vocabulary};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// A keyword of a problem with its distinctiveness weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyword {
    /// As complaints write it ("deliveries", "customer service").
    pub text: String,
    /// Class-based TF-IDF weight; higher is more distinctive.
    pub weight: f32,
}

/// A real complaint shown as evidence for a problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Row number in the input the model was fitted on.
    pub row: usize,
    /// The complaint as written.
    pub text: String,
    /// Its similarity to the problem's centre.
    pub similarity: f32,
}

/// Keywords and label candidates of one problem.
#[derive(Debug, Clone, Default)]
pub struct Description {
    /// Top keywords, best first.
    pub keywords: Vec<Keyword>,
    /// Label candidates, best first (the first unused one is taken).
    pub label_candidates: Vec<String>,
    /// The terms each keyword shows.
    pub keyword_terms: Vec<u32>,
    /// The terms each label candidate shows, in order (a phrase as one).
    pub label_terms: Vec<Vec<u32>>,
    /// The problem's most distinctive terms with their class-based TF-IDF
    /// weights, as a unit-length vector sorted by term id: what sets its
    /// complaints apart, used to pick examples that show it.
    pub profile: SparseVec,
}

/// How many terms a problem's [`Description::profile`] keeps.
pub const N_PROFILE: usize = 30;

/// How many keywords each problem keeps.
pub const N_KEYWORDS: usize = 10;

/// Describe every cluster from a sample of its members.
///
/// `rows` and `seqs` are the vectors and ordered term sequences of sampled
/// complaints; `labels` their cluster index (`None` = no problem).
pub fn describe(
    vocab: &Vocabulary,
    k: usize,
    rows: &[SparseVec],
    seqs: &[Vec<Option<u32>>],
    labels: &[Option<usize>],
) -> Vec<Description> {
    let dim = vocab.len();
    // Document frequency of each term per cluster and overall.
    let mut df: Vec<FxHashMap<u32, u32>> = vec![FxHashMap::default(); k];
    let mut total = vec![0u32; dim];
    let mut sizes = vec![0usize; k];
    for (x, l) in rows.iter().zip(labels) {
        // Entries past the vocabulary (blended embeddings) are not words.
        let words = &x[..x.partition_point(|e| (e.0 as usize) < dim)];
        for &(t, _) in words {
            if let Some(slot) = total.get_mut(t as usize) {
                *slot += 1;
            }
        }
        if let Some(c) = *l {
            if c < k {
                sizes[c] += 1;
                for &(t, _) in words {
                    *df[c].entry(t).or_insert(0) += 1;
                }
            }
        }
    }
    let avg = (rows.len() as f64 / k.max(1) as f64).max(1.0);
    let mut out = Vec::with_capacity(k);
    for c in 0..k {
        let size = sizes[c].max(1) as f64;
        let mut weights: Vec<(u32, f64)> = df[c]
            .iter()
            .filter(|(_, &n)| n >= 2 || sizes[c] < 10)
            .map(|(&t, &n)| {
                let f = total.get(t as usize).copied().unwrap_or(1).max(1) as f64;
                (t, (n as f64 / size) * (1.0 + avg / f).ln())
            })
            .collect();
        weights.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        // The 12 best terms, and the words of the phrases among them (so
        // "customer" can be extended to "customer service").
        let mut top12: FxHashSet<u32> = FxHashSet::default();
        for &(t, _) in weights.iter().take(12) {
            top12.insert(t);
            top12.extend(vocab.term(t).and_then(|x| x.parts).into_iter().flatten());
        }

        // Keywords: skip a word already shown inside a higher-ranked phrase.
        let mut keywords = Vec::new();
        let mut keyword_terms = Vec::new();
        let mut shown: FxHashSet<u32> = FxHashSet::default();
        for &(t, w) in &weights {
            if keywords.len() >= N_KEYWORDS {
                break;
            }
            let Some(term) = vocab.term(t) else { continue };
            if shown.contains(&t) {
                continue;
            }
            if let (TermKind::Phrase, Some(p)) = (term.kind, term.parts) {
                shown.insert(p[0]);
                shown.insert(p[1]);
            }
            shown.insert(t);
            keywords.push(Keyword { text: term.surface.clone(), weight: w as f32 });
            keyword_terms.push(t);
        }

        // Label: the top keyword, extended to the run of 2-3 adjacent
        // keywords (or words of keyword phrases) complaints most often
        // write around it ("refund" → "refund not received") when at least
        // 30% of the complaints that use it say it that way. Other keywords
        // follow as fallbacks so labels can stay unique.
        let mut label_terms: Vec<Vec<u32>> = Vec::new();
        if let Some(&(top, _)) = weights.first() {
            let core: Vec<u32> = match vocab.term(top).and_then(|t| t.parts) {
                Some(p) => vec![p[0], p[1]],
                None => vec![top],
            };
            let mut core_df = 0u32;
            let mut gram_df: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
            let mut seen: FxHashSet<Vec<u32>> = FxHashSet::default();
            for (seq, l) in seqs.iter().zip(labels) {
                if *l != Some(c) {
                    continue;
                }
                seen.clear();
                let mut has_core = false;
                for n in core.len()..=3 {
                    for w in seq.windows(n) {
                        let Some(ids) = w.iter().copied().collect::<Option<Vec<u32>>>() else { continue };
                        let contains = ids.windows(core.len()).any(|x| x == core.as_slice());
                        if !contains {
                            continue;
                        }
                        if n == core.len() {
                            has_core = true;
                        } else if ids.iter().all(|t| top12.contains(t) || core.contains(t)) && !has_repeat(&ids) {
                            seen.insert(ids);
                        }
                    }
                }
                core_df += has_core as u32;
                for g in seen.drain() {
                    *gram_df.entry(g).or_insert(0) += 1;
                }
            }
            let mut grams: Vec<(u32, Vec<u32>)> = gram_df.into_iter().map(|(g, n)| (n, g)).collect();
            grams.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.len().cmp(&y.1.len())).then(x.1.cmp(&y.1)));
            if let Some((n, g)) = grams.first() {
                if *n >= 2 && (*n as f64) >= 0.3 * core_df.max(1) as f64 {
                    label_terms.push(units(vocab, g));
                }
            }
        }
        for &t in &keyword_terms {
            if !label_terms.contains(&vec![t]) {
                label_terms.push(vec![t]);
            }
        }
        let no_spellings = FxHashMap::default();
        let label_candidates = label_terms.iter().map(|u| render(vocab, u, &no_spellings)).collect();
        let mut profile: SparseVec = weights.iter().take(N_PROFILE).map(|&(t, w)| (t, w as f32)).collect();
        let norm = profile.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
        if norm > 0.0 {
            profile.iter_mut().for_each(|e| e.1 /= norm);
        }
        profile.sort_by_key(|e| e.0);
        out.push(Description { keywords, label_candidates, keyword_terms, label_terms, profile });
    }
    out
}

/// The terms a run of adjacent words `g` shows: adjacent words that form a
/// phrase as the phrase ("wells fargo"), the others word by word.
fn units(vocab: &Vocabulary, g: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(g.len());
    let mut i = 0;
    while i < g.len() {
        match g.get(i + 1).and_then(|&b| vocab.phrase(g[i], b)) {
            Some(p) => {
                out.push(p);
                i += 2;
            }
            None => {
                out.push(g[i]);
                i += 1;
            }
        }
    }
    out
}

/// `terms` as shown: each as `spellings` has it, or as the vocabulary shows
/// it (the most frequent surface form overall).
fn render(vocab: &Vocabulary, terms: &[u32], spellings: &FxHashMap<u32, String>) -> String {
    let shown = |t: &u32| spellings.get(t).cloned().or_else(|| vocab.term(*t).map(|x| x.surface.clone()));
    terms.iter().filter_map(shown).collect::<Vec<_>>().join(" ")
}

/// Show each problem's keywords and label candidates as its own complaints
/// write them: `spellings[c]` holds, per term, problem `c`'s most frequent
/// surface form (see [`Vocabulary::spellings`]). A stem such as
/// `understand` is shown overall as "understand", yet a problem whose
/// complaints all say "my understanding" should read "understanding".
pub fn respell(descriptions: &mut [Description], spellings: &[FxHashMap<u32, String>], vocab: &Vocabulary) {
    for (d, sp) in descriptions.iter_mut().zip(spellings) {
        for (k, t) in d.keywords.iter_mut().zip(&d.keyword_terms) {
            k.text = render(vocab, &[*t], sp);
        }
        d.label_candidates = d.label_terms.iter().map(|u| render(vocab, u, sp)).collect();
    }
}

/// Of `(term, shown)` occurrences, each term's most frequent spelling (ties:
/// the alphabetically first).
pub fn most_frequent(occurrences: impl IntoIterator<Item = (u32, String)>) -> FxHashMap<u32, String> {
    let mut counts: FxHashMap<(u32, String), u32> = FxHashMap::default();
    for o in occurrences {
        *counts.entry(o).or_insert(0) += 1;
    }
    let mut best: FxHashMap<u32, (u32, String)> = FxHashMap::default();
    for ((t, shown), n) in counts {
        let slot = best.entry(t).or_insert((0, String::new()));
        if n > slot.0 || (n == slot.0 && shown < slot.1) {
            *slot = (n, shown);
        }
    }
    best.into_iter().map(|(t, (_, shown))| (t, shown)).collect()
}

fn has_repeat(ids: &[u32]) -> bool {
    ids.iter().enumerate().any(|(i, a)| ids[i + 1..].contains(a))
}

/// Pick one unique label per problem, in rank order: the first candidate
/// not taken by a larger problem; keywords joined as a last resort.
pub fn unique_labels(descriptions: &[&Description]) -> Vec<String> {
    let mut used: FxHashSet<String> = FxHashSet::default();
    let mut out = Vec::with_capacity(descriptions.len());
    for (i, d) in descriptions.iter().enumerate() {
        let pick = d
            .label_candidates
            .iter()
            .find(|c| !used.contains(*c))
            .cloned()
            .or_else(|| {
                let joined = d.keywords.iter().take(3).map(|k| k.text.as_str()).collect::<Vec<_>>().join(", ");
                (!joined.is_empty() && !used.contains(&joined)).then_some(joined)
            })
            .unwrap_or_else(|| format!("problem {}", i + 1));
        let mut label = pick;
        let mut n = 2;
        while used.contains(&label) {
            label = format!("{label} ({n})");
            n += 1;
        }
        used.insert(label.clone());
        out.push(label);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;
    use crate::segment::Segmenter;
    use crate::vectorize::VocabularyParams;

    /// Learn a vocabulary from `texts` and describe the groups `labels` gives.
    fn describe_texts(texts: &[String], labels: &[Option<usize>]) -> (Vocabulary, Vec<Description>) {
        let seg = Segmenter::english();
        let norm: Vec<String> = texts.iter().map(|t| normalize(t)).collect();
        let v = Vocabulary::learn(&seg, &norm, &VocabularyParams::default());
        let rows: Vec<SparseVec> = norm.iter().map(|t| v.vectorize_normalized(&seg, t)).collect();
        let seqs: Vec<Vec<Option<u32>>> = norm
            .iter()
            .map(|t| {
                let mut s = Vec::new();
                v.sequence(&seg, t, &mut s);
                s
            })
            .collect();
        let k = labels.iter().flatten().max().map_or(0, |&m| m + 1);
        let d = describe(&v, k, &rows, &seqs, labels);
        (v, d)
    }

    #[test]
    fn keywords_and_labels_name_the_problem() {
        let mut texts = Vec::new();
        for i in 0..15 {
            texts.push(format!("my refund was not received after {i} days"));
            texts.push(format!("the delivery was late again, late delivery number {i}"));
        }
        let labels: Vec<Option<usize>> = (0..texts.len()).map(|i| Some(i % 2)).collect();
        let (_, d) = describe_texts(&texts, &labels);
        let picked = unique_labels(&[&d[0], &d[1]]);
        assert_eq!(picked[0], "refund not received");
        assert!(picked[1].contains("delivery"), "{}", picked[1]);
        assert!(d[0].keywords.iter().any(|k| k.text == "refund"));
        assert!(d[0].keywords.windows(2).all(|w| w[0].weight >= w[1].weight));
    }

    #[test]
    fn a_top_phrase_extends_its_first_word_into_the_label() {
        // "customer" leads; "service" alone ranks low because the other
        // problem uses it too, yet the problem says "customer service".
        let words = [
            "rude",
            "unhelpful",
            "hung",
            "callback",
            "ignored",
            "emails",
            "lied",
            "transferred",
            "twice",
            "escalate",
            "supervisor",
            "manager",
        ];
        let mut texts = Vec::new();
        for i in 0..15 {
            let rest: Vec<&str> =
                words.iter().enumerate().filter(|&(j, _)| j != i && j + 2 != i).map(|(_, w)| *w).collect();
            let opening = if i == 14 { "customer support" } else { "customer service" };
            texts.push(format!("{opening} {}", rest.join(" ")));
            let fee = if i < 8 { "service fee" } else { "fee" };
            texts.push(format!("{fee} charged for delivery {i}"));
        }
        for i in 0..30 {
            texts.push(format!("parcel arrived damaged {i}"));
        }
        let labels: Vec<Option<usize>> = (0..texts.len()).map(|i| (i < 30).then_some(i % 2)).collect();
        let (v, d) = describe_texts(&texts, &labels);
        let keys: Vec<&str> = v.terms().iter().map(|t| t.key.as_str()).collect();
        assert!(v.id_of("custom servic").is_some(), "the phrase is a term: {keys:?}");
        assert_eq!(
            d[0].label_candidates.first().map(String::as_str),
            Some("customer service"),
            "{:?} {:?}",
            d[0].keywords,
            keys
        );
    }

    #[test]
    fn labels_never_repeat() {
        let a = Description { label_candidates: vec!["card".into()], ..Default::default() };
        let b = Description { label_candidates: vec!["card".into()], ..Default::default() };
        let c = Description::default();
        let got = unique_labels(&[&a, &b, &c]);
        assert_eq!(got[0], "card");
        assert_ne!(got[1], "card");
        assert_eq!(got[2], "problem 3");
    }
}
