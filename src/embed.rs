//! Bring-your-own embeddings: dense sentence vectors blended into the
//! keyword similarity.
//!
//! When a caller passes one dense vector per complaint (for example from a
//! sentence-transformers model), every complaint is represented by the
//! concatenation
//!
//! ```text
//! [ sqrt(1 - w) * keywords / |keywords| ,  sqrt(w) * dense / |dense| ]
//! ```
//!
//! so the cosine of two complaints is `(1 - w) * keyword cosine + w *
//! embedding cosine`, with `w` the embedding weight. The dense part is
//! stored as extra pseudo-terms numbered after the vocabulary, which lets
//! clustering, centres and scoring run unchanged; keywords and labels still
//! come from the words alone.

use crate::error::{Error, Result};
use crate::vectorize::SparseVec;

/// Most columns an embedding may have (a model file with more is refused
/// as damaged, so a fit refuses them too).
pub const MAX_DIM: usize = 1 << 20;

/// Largest absolute values between which a row's squares and their sum
/// stay normal f32 numbers (up to [`MAX_DIM`] columns): such rows are
/// brought to unit length directly, others through their largest value.
const SAFE_LOW: f32 = 1e-18;
const SAFE_HIGH: f32 = 1e15;

/// One dense vector per row, row-major, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub struct Embeddings<'a> {
    data: &'a [f32],
    rows: usize,
    dim: usize,
}

impl<'a> Embeddings<'a> {
    /// Wrap `rows × dim` values. Errors when the shape does not match the
    /// data or a value is NaN or infinite.
    pub fn new(data: &'a [f32], rows: usize, dim: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::input("embeddings must have at least one column"));
        }
        if dim > MAX_DIM {
            return Err(Error::input(format!(
                "embeddings have {dim} columns, more than the {MAX_DIM} a model can hold; reduce them (e.g. with PCA) first"
            )));
        }
        if rows.checked_mul(dim) != Some(data.len()) {
            return Err(Error::input(format!(
                "embeddings hold {} values, which is not {rows} rows × {dim} columns",
                data.len()
            )));
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(Error::input(format!(
                "embeddings row {} has a NaN or infinite value; replace it (e.g. with zeros) before fitting",
                i / dim
            )));
        }
        Ok(Embeddings { data, rows, dim })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Row `i` (empty past the end).
    pub fn row(&self, i: usize) -> &'a [f32] {
        self.data.get(i * self.dim..(i + 1) * self.dim).unwrap_or(&[])
    }
}

/// How a model blends embeddings into its similarity (stored in the model file).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Blend {
    /// Columns of the embeddings the model was fitted with.
    pub dim: usize,
    /// Share of the similarity that comes from the embeddings, in (0, 1).
    pub weight: f32,
}

impl Blend {
    /// Turn the unit-length keyword vector `x` into the blended vector, with
    /// the dense pseudo-terms numbered from `offset`. A zero dense row adds
    /// nothing (the complaint is then compared by its keywords alone).
    pub fn apply(&self, x: &mut SparseVec, dense: &[f32], offset: u32) {
        let Some(m) = dense.iter().map(|v| v.abs()).filter(|&m| m > 0.0 && m.is_finite()).reduce(f32::max) else {
            return;
        };
        if (SAFE_LOW..=SAFE_HIGH).contains(&m) {
            let norm = dense.iter().map(|v| v * v).sum::<f32>().sqrt();
            self.extend(x, dense, 1.0 / norm, offset);
        } else {
            // Values so large (or small) that their squares would overflow
            // (or lose precision as subnormals) in f32: divided by the
            // largest first, the row keeps its direction.
            let scaled: Vec<f32> = dense.iter().map(|v| v / m).collect();
            let norm = scaled.iter().map(|v| v * v).sum::<f32>().sqrt();
            self.extend(x, &scaled, 1.0 / norm, offset);
        }
    }

    /// Like [`Blend::apply`], but `dense` is taken as it is, not brought to
    /// unit length: for vectors already on a common scale, such as the
    /// built-in word vectors less their mean (see [`crate::wordvec`]),
    /// whose length says how far a complaint stands from the typical one.
    /// A zero `dense` adds nothing.
    pub fn apply_unscaled(&self, x: &mut SparseVec, dense: &[f32], offset: u32) {
        if dense.iter().any(|&v| v != 0.0) && dense.iter().all(|v| v.is_finite()) {
            self.extend(x, dense, 1.0, offset);
        }
    }

    fn extend(&self, x: &mut SparseVec, dense: &[f32], scale: f32, offset: u32) {
        let ws = (1.0 - self.weight).max(0.0).sqrt();
        for e in x.iter_mut() {
            e.1 *= ws;
        }
        let wd = self.weight.sqrt() * scale;
        x.extend(dense.iter().enumerate().map(|(j, &v)| (offset + j as u32, v * wd)));
    }

    /// The embedding part of a blended vector `x` (its columns from
    /// `offset` on), numbered from 0 and at unit length: what the word
    /// mixture weighs beside the words (see [`crate::mixture`]). Empty for
    /// a vector without one (a zero embedding adds nothing).
    pub fn part(x: &SparseVec, offset: u32) -> SparseVec {
        let mut out = Vec::new();
        Self::part_into(x, offset, &mut out);
        out
    }

    /// [`Blend::part`] into a buffer of the caller's (the scoring path).
    pub fn part_into(x: &SparseVec, offset: u32, out: &mut SparseVec) {
        out.clear();
        out.extend(x.iter().filter(|e| e.0 >= offset).map(|&(t, v)| (t - offset, v)));
        let norm = out.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
        if norm > 0.0 {
            out.iter_mut().for_each(|e| e.1 /= norm);
        }
    }

    /// Check that `emb` fits a model fitted with this blend, for `rows` texts.
    pub fn check(&self, emb: Option<&Embeddings>, rows: usize) -> Result<()> {
        match emb {
            None => Err(Error::input(format!(
                "this model was fitted with embeddings: pass embeddings= for these complaints too ({rows} rows × {} columns, from the same embedding model)",
                self.dim
            ))),
            Some(e) => check_shape(e, rows, Some(self.dim)),
        }
    }
}

/// Check that `e` has `rows` rows (and `dim` columns, if given).
pub fn check_shape(e: &Embeddings, rows: usize, dim: Option<usize>) -> Result<()> {
    if e.rows() != rows {
        return Err(Error::input(format!(
            "embeddings have {} rows but there are {rows} texts: pass one embedding per text, in the same order",
            e.rows()
        )));
    }
    if let Some(d) = dim {
        if e.dim() != d {
            return Err(Error::input(format!(
                "embeddings have {} columns but the model was fitted with {d}: use the same embedding model",
                e.dim()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blended_cosine_is_the_weighted_mean() {
        let b = Blend { dim: 2, weight: 0.25 };
        let mut x: SparseVec = vec![(0, 1.0)];
        let mut y: SparseVec = vec![(0, 0.6), (1, 0.8)];
        b.apply(&mut x, &[1.0, 0.0], 10);
        b.apply(&mut y, &[3.0, 4.0], 10);
        let dot: f32 = x.iter().flat_map(|a| y.iter().filter(move |b| b.0 == a.0).map(move |b| a.1 * b.1)).sum();
        let expected = 0.75 * 0.6 + 0.25 * 0.6;
        assert!((dot - expected).abs() < 1e-6, "{dot} vs {expected}");
        let norm: f32 = x.iter().map(|e| e.1 * e.1).sum();
        assert!((norm - 1.0).abs() < 1e-6);
    }

    #[test]
    fn the_embedding_part_is_the_embedding_at_unit_length() {
        let b = Blend { dim: 2, weight: 0.25 };
        let mut x: SparseVec = vec![(0, 1.0)];
        b.apply(&mut x, &[3.0, 4.0], 10);
        let part = Blend::part(&x, 10);
        assert_eq!(part.iter().map(|e| e.0).collect::<Vec<_>>(), [0, 1]);
        assert!((part[0].1 - 0.6).abs() < 1e-6 && (part[1].1 - 0.8).abs() < 1e-6, "{part:?}");
        let mut y: SparseVec = vec![(0, 1.0)];
        b.apply(&mut y, &[0.0, 0.0], 10);
        assert!(Blend::part(&y, 10).is_empty(), "no embedding, no part");
    }

    #[test]
    fn unscaled_dense_parts_keep_their_length() {
        let b = Blend { dim: 2, weight: 0.36 };
        let mut x: SparseVec = vec![(0, 1.0)];
        b.apply_unscaled(&mut x, &[0.5, 0.0], 10);
        assert_eq!(x.iter().map(|e| e.0).collect::<Vec<_>>(), [0, 10, 11]);
        assert!((x[0].1 - 0.8).abs() < 1e-6);
        assert!((x[1].1 - 0.3).abs() < 1e-6, "0.6 × 0.5, not stretched to 0.6");
        let mut y: SparseVec = vec![(0, 1.0)];
        b.apply_unscaled(&mut y, &[0.0, 0.0], 10);
        assert_eq!(y, vec![(0, 1.0)], "a zero part adds nothing");
    }

    #[test]
    fn bad_shapes_and_values_are_errors() {
        assert!(Embeddings::new(&[1.0, 2.0, 3.0], 2, 2).is_err());
        assert!(Embeddings::new(&[1.0, f32::NAN], 1, 2).is_err());
        assert!(Embeddings::new(&[], 0, 0).is_err());
        let e = Embeddings::new(&[1.0, 2.0], 1, 2).expect("valid");
        assert!(check_shape(&e, 2, None).is_err());
        assert!(check_shape(&e, 1, Some(3)).is_err());
        assert!(check_shape(&e, 1, Some(2)).is_ok());
        // More columns than a model file may hold are refused at the door.
        assert!(Embeddings::new(&[], 0, MAX_DIM).is_ok());
        assert!(Embeddings::new(&[], 0, MAX_DIM + 1).is_err());
        assert!(Blend { dim: 2, weight: 0.5 }.check(None, 1).is_err());
    }
}
