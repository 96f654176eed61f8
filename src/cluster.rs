//! Stage 4: clustering.
//!
//! Groups complaint vectors without being told how many groups there are:
//!
//! 1. **Over-cluster** with spherical k-means (cosine similarity, seeded
//!    k-means++ start) into more groups than there are problems.
//! 2. **Merge** the two most similar groups (centroid cosine) while their
//!    similarity beyond the vocabulary all complaints share is above
//!    `merge_similarity`, or while there are more than `max_problems`:
//!    groups saying the same thing become one problem, distinct ones stay
//!    apart, and the count follows from the data.
//! 3. **Refine** with a few k-means rounds from the merged centroids, and
//!    dissolve groups smaller than `min_size` into their neighbours.
//!
//! Every step is deterministic for a seed: parallel steps are per-complaint
//! maps (order-preserving), and every floating-point sum runs in a fixed
//! order, so the thread count never changes a result.

use crate::control::Control;
use crate::error::Result;
use crate::vectorize::SparseVec;
use rayon::prelude::*;

/// A small, seedable random number generator (SplitMix64): deterministic
/// across platforms and versions, which a model file relies on.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_f64() * n as f64) as usize % n.max(1)
    }
}

/// Centroids stored term-major (`data[term * k + cluster]`), so scoring a
/// sparse complaint touches one contiguous row of `k` weights per term.
#[derive(Debug, Clone, Default)]
pub struct Centroids {
    k: usize,
    dim: usize,
    data: Vec<f32>,
}

impl Centroids {
    /// Build from sparse centroid vectors over `dim` terms. Entries past
    /// `dim` are ignored (callers validate model files first).
    pub fn from_sparse(dim: usize, centroids: &[SparseVec]) -> Self {
        let k = centroids.len();
        let mut data = vec![0.0f32; dim * k];
        for (c, v) in centroids.iter().enumerate() {
            for &(t, w) in v {
                if let Some(slot) = data.get_mut(t as usize * k + c) {
                    *slot = w;
                }
            }
        }
        Centroids { k, dim, data }
    }

    /// Number of centroids.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Sparse copies of the centroids (zeros dropped).
    pub fn to_sparse(&self) -> Vec<SparseVec> {
        let mut out = vec![Vec::new(); self.k];
        for t in 0..self.dim {
            for (c, v) in out.iter_mut().enumerate() {
                let w = self.data[t * self.k + c];
                if w != 0.0 {
                    v.push((t as u32, w));
                }
            }
        }
        out
    }

    /// Cosine similarity of `x` (unit length) to every centroid, into `out`.
    pub fn scores(&self, x: &SparseVec, out: &mut Vec<f32>) {
        out.clear();
        out.resize(self.k, 0.0);
        for &(t, w) in x {
            let start = t as usize * self.k;
            if let Some(row) = self.data.get(start..start + self.k) {
                for (o, &c) in out.iter_mut().zip(row) {
                    *o += w * c;
                }
            }
        }
    }

    /// The most similar centroid and its similarity; `None` for an empty
    /// vector or no centroids. Ties go to the lower index.
    pub fn best(&self, x: &SparseVec, scratch: &mut Vec<f32>) -> Option<(usize, f32)> {
        if x.is_empty() || self.k == 0 {
            return None;
        }
        self.scores(x, scratch);
        let mut best = (0usize, f32::NEG_INFINITY);
        for (c, &s) in scratch.iter().enumerate() {
            if s > best.1 {
                best = (c, s);
            }
        }
        Some(best)
    }

    /// Recompute centroids as normalised means of their members, in row
    /// order. Returns the member count of each cluster.
    fn update(&mut self, rows: &[SparseVec], labels: &[usize]) -> Vec<usize> {
        let k = self.k;
        self.data.iter_mut().for_each(|v| *v = 0.0);
        let mut counts = vec![0usize; k];
        for (x, &c) in rows.iter().zip(labels) {
            if c >= k {
                continue;
            }
            counts[c] += 1;
            for &(t, w) in x {
                self.data[t as usize * k + c] += w;
            }
        }
        let mut norms = vec![0.0f32; k];
        for row in self.data.chunks_exact(k) {
            for (n, &v) in norms.iter_mut().zip(row) {
                *n += v * v;
            }
        }
        for n in &mut norms {
            *n = if *n > 0.0 { 1.0 / n.sqrt() } else { 0.0 };
        }
        for row in self.data.chunks_exact_mut(k) {
            for (v, &n) in row.iter_mut().zip(&norms) {
                *v *= n;
            }
        }
        counts
    }

    /// Keep only the clusters in `keep` (in that order).
    fn select(&self, keep: &[usize]) -> Centroids {
        let k2 = keep.len();
        let mut data = vec![0.0f32; self.dim * k2];
        for t in 0..self.dim {
            for (j, &c) in keep.iter().enumerate() {
                data[t * k2 + j] = self.data[t * self.k + c];
            }
        }
        Centroids { k: k2, dim: self.dim, data }
    }
}

/// Parameters of the clustering.
#[derive(Debug, Clone, Copy)]
pub struct ClusterParams {
    /// Seed for the k-means++ start.
    pub seed: u64,
    /// Number of groups to over-cluster into before merging.
    pub initial: usize,
    /// Never more problems than this.
    pub max_problems: usize,
    /// Groups with fewer members (in the clustered rows) are dissolved.
    pub min_size: usize,
    /// Merge groups whose centroids are at least this similar.
    pub merge_similarity: f32,
    /// Maximum k-means rounds per phase.
    pub max_iter: usize,
}

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams { seed: 0, initial: 100, max_problems: 100, min_size: 5, merge_similarity: 0.15, max_iter: 20 }
    }
}

fn assign(c: &Centroids, rows: &[SparseVec]) -> Vec<usize> {
    rows.par_iter()
        .map_init(Vec::new, |scratch, x| c.best(x, scratch).map(|b| b.0).unwrap_or(usize::MAX))
        .collect()
}

fn dot(a: &SparseVec, b: &SparseVec) -> f32 {
    let (mut i, mut j, mut s) = (0, 0, 0.0f32);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

fn add_scaled(a: &SparseVec, b: &SparseVec) -> SparseVec {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if j >= b.len() || (i < a.len() && a[i].0 < b[j].0) {
            out.push(a[i]);
            i += 1;
        } else if i >= a.len() || b[j].0 < a[i].0 {
            out.push(b[j]);
            j += 1;
        } else {
            out.push((a[i].0, a[i].1 + b[j].1));
            i += 1;
            j += 1;
        }
    }
    out
}

fn normalized(v: &SparseVec) -> SparseVec {
    let n = v.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
    if n == 0.0 {
        return v.clone();
    }
    v.iter().map(|&(t, w)| (t, w / n)).collect()
}

/// k-means++ start: `k` distinct rows chosen with probability proportional
/// to their squared cosine distance from the centroids chosen so far.
fn kmeans_pp(rows: &[SparseVec], dim: usize, k: usize, rng: &mut Rng, ctl: &Control) -> Result<Centroids> {
    let n = rows.len();
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    let mut best_sim = vec![0.0f32; n];
    let mut dense = vec![0.0f32; dim];
    let mut next = rng.below(n);
    for _ in 0..k {
        ctl.check()?;
        chosen.push(next);
        for &(t, w) in &rows[next] {
            dense[t as usize] = w;
        }
        let sims: Vec<f32> =
            rows.par_iter().map(|x| x.iter().map(|&(t, w)| w * dense[t as usize]).sum::<f32>()).collect();
        for &(t, _) in &rows[next] {
            dense[t as usize] = 0.0;
        }
        let mut total = 0.0f64;
        for (b, s) in best_sim.iter_mut().zip(&sims) {
            if *s > *b {
                *b = *s;
            }
            let d = (1.0 - *b).max(0.0) as f64;
            total += d * d;
        }
        if total <= 1e-12 {
            break;
        }
        let mut target = rng.next_f64() * total;
        next = n - 1;
        for (i, b) in best_sim.iter().enumerate() {
            let d = (1.0 - *b).max(0.0) as f64;
            target -= d * d;
            if target <= 0.0 && d > 0.0 {
                next = i;
                break;
            }
        }
    }
    let init: Vec<SparseVec> = chosen.iter().map(|&i| rows[i].clone()).collect();
    Ok(Centroids::from_sparse(dim, &init))
}

/// Lloyd rounds until fewer than 0.1% of rows move; empty clusters dropped.
fn lloyd(mut c: Centroids, rows: &[SparseVec], max_iter: usize, ctl: &Control) -> Result<(Centroids, Vec<usize>)> {
    let mut labels = assign(&c, rows);
    for _ in 0..max_iter {
        ctl.check()?;
        let counts = c.update(rows, &labels);
        if counts.iter().any(|&n| n == 0) {
            let keep: Vec<usize> = (0..c.k).filter(|&i| counts[i] > 0).collect();
            c = c.select(&keep);
        }
        let new = assign(&c, rows);
        let moved = new.iter().zip(&labels).filter(|(a, b)| a != b).count();
        labels = new;
        ctl.advance(1);
        if moved * 1000 <= rows.len() {
            break;
        }
    }
    let counts = c.update(rows, &labels);
    if counts.iter().any(|&n| n == 0) {
        let keep: Vec<usize> = (0..c.k).filter(|&i| counts[i] > 0).collect();
        c = c.select(&keep);
        labels = assign(&c, rows);
    }
    Ok((c, labels))
}

/// Centroid-linkage merging on summed member vectors.
fn merge(c: &Centroids, rows: &[SparseVec], labels: &[usize], p: &ClusterParams) -> Vec<SparseVec> {
    let k = c.k;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &l) in labels.iter().enumerate() {
        if l < k {
            members[l].push(i);
        }
    }
    // Sum members per cluster in row order (deterministic) with a dense scratch row.
    let mut dense = vec![0.0f32; c.dim];
    let mut touched: Vec<u32> = Vec::new();
    let mut sums: Vec<SparseVec> = Vec::with_capacity(k);
    for m in &members {
        for &i in m {
            for &(t, w) in &rows[i] {
                if dense[t as usize] == 0.0 {
                    touched.push(t);
                }
                dense[t as usize] += w;
            }
        }
        touched.sort_unstable();
        touched.dedup();
        sums.push(touched.iter().map(|&t| (t, dense[t as usize])).collect());
        for &t in &touched {
            dense[t as usize] = 0.0;
        }
        touched.clear();
    }
    // Similarity between groups after removing what every complaint shares:
    // w[a][b] = S_a . S_b is the total similarity between members of a and b,
    // d[a] = S_a . S_total their total similarity to everyone, and
    // c(a, b) = w[a][b] - d[a] d[b] / T (T = S_total . S_total) is what is left
    // of w once the expected share is subtracted (the modularity term of
    // the complaint-similarity graph). Merging a and b is worth it when
    // c(a, b) / sqrt(c(a, a) c(b, b)), a correlation between the two groups
    // beyond the common vocabulary, reaches `merge_similarity`. Unlike the
    // raw centroid cosine it does not rise just because complaints are long.
    let mut total: SparseVec = Vec::new();
    for sv in &sums {
        total = add_scaled(&total, sv);
    }
    let t = total.iter().map(|e| (e.1 as f64) * (e.1 as f64)).sum::<f64>().max(1e-12);
    let mut d: Vec<f64> = sums.iter().map(|sv| dot(sv, &total) as f64).collect();
    let pairs: Vec<(usize, usize)> = (0..k).flat_map(|a| (a..k).map(move |b| (a, b))).collect();
    let vals: Vec<f64> = pairs.par_iter().map(|&(a, b)| dot(&sums[a], &sums[b]) as f64).collect();
    let mut w = vec![vec![0.0f64; k]; k];
    for (&(a, b), &v) in pairs.iter().zip(&vals) {
        w[a][b] = v;
        w[b][a] = v;
    }
    let mut alive = vec![true; k];
    let mut live = k;
    while live > 1 {
        let mut best = (0, 0, f64::NEG_INFINITY);
        for a in 0..k {
            if !alive[a] {
                continue;
            }
            for b in a + 1..k {
                if alive[b] {
                    let cen = |x: usize, y: usize| w[x][y] - d[x] * d[y] / t;
                    let gain = cen(a, b) / (cen(a, a).max(1e-12) * cen(b, b).max(1e-12)).sqrt();
                    if gain > best.2 {
                        best = (a, b, gain);
                    }
                }
            }
        }
        if best.2 < p.merge_similarity as f64 && live <= p.max_problems {
            break;
        }
        let (a, b, _) = best;
        sums[a] = add_scaled(&sums[a], &sums[b]);
        sums[b] = Vec::new();
        d[a] += d[b];
        alive[b] = false;
        live -= 1;
        let waa = w[a][a] + 2.0 * w[a][b] + w[b][b];
        for o in 0..k {
            if alive[o] && o != a {
                let v = w[a][o] + w[b][o];
                w[a][o] = v;
                w[o][a] = v;
            }
        }
        w[a][a] = waa;
    }
    (0..k).filter(|&i| alive[i]).map(|i| normalized(&sums[i])).collect()
}

/// Cluster unit-length `rows` over `dim` terms. Returns unit-length
/// centroids; their number is chosen by the data within the parameters.
pub fn cluster(rows: &[SparseVec], dim: usize, p: &ClusterParams, ctl: &Control) -> Result<Vec<SparseVec>> {
    let rows: Vec<SparseVec> = rows.iter().filter(|x| !x.is_empty()).cloned().collect();
    if rows.is_empty() || dim == 0 {
        return Ok(Vec::new());
    }
    let mut rng = Rng::new(p.seed);
    let k0 = p.initial.clamp(1, rows.len());
    ctl.add_total((3 * p.max_iter) as u64);
    let start = kmeans_pp(&rows, dim, k0, &mut rng, ctl)?;
    let (c, labels) = lloyd(start, &rows, p.max_iter, ctl)?;
    ctl.check()?;
    let merged = merge(&c, &rows, &labels, p);
    let (mut c, mut labels) = lloyd(Centroids::from_sparse(dim, &merged), &rows, p.max_iter, ctl)?;
    // Dissolve groups that are too small; their members move to neighbours.
    for _ in 0..5 {
        ctl.check()?;
        let mut counts = vec![0usize; c.k];
        for &l in &labels {
            if l < c.k {
                counts[l] += 1;
            }
        }
        let keep: Vec<usize> = (0..c.k).filter(|&i| counts[i] >= p.min_size.max(1)).collect();
        if keep.len() == c.k || keep.is_empty() {
            break;
        }
        let (c2, l2) = lloyd(c.select(&keep), &rows, 3, ctl)?;
        c = c2;
        labels = l2;
    }
    Ok(c.to_sparse())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[(u32, f32)]) -> SparseVec {
        normalized(&v.to_vec())
    }

    fn three_topics() -> Vec<SparseVec> {
        let mut rows = Vec::new();
        for i in 0..30u32 {
            let noise = 10 + (i % 7);
            rows.push(unit(&[(0, 1.0), (1, 0.8), (noise, 0.3)]));
            rows.push(unit(&[(2, 1.0), (3, 0.9), (noise, 0.3)]));
            rows.push(unit(&[(4, 1.0), (5, 0.7), (noise, 0.3)]));
        }
        rows
    }

    #[test]
    fn finds_three_topics_without_k() {
        let rows = three_topics();
        let p = ClusterParams { initial: 12, min_size: 3, merge_similarity: 0.4, ..Default::default() };
        let cents = cluster(&rows, 20, &p, &Control::new()).expect("cluster");
        assert_eq!(cents.len(), 3);
        let c = Centroids::from_sparse(20, &cents);
        let mut s = Vec::new();
        let a = c.best(&rows[0], &mut s).map(|b| b.0);
        let b = c.best(&rows[1], &mut s).map(|b| b.0);
        let d = c.best(&rows[3], &mut s).map(|b| b.0);
        assert_ne!(a, b);
        assert_eq!(a, d);
    }

    #[test]
    fn max_problems_caps_the_count() {
        let rows = three_topics();
        let p = ClusterParams { initial: 12, min_size: 1, merge_similarity: 0.99, max_problems: 2, ..Default::default() };
        let cents = cluster(&rows, 20, &p, &Control::new()).expect("cluster");
        assert!(cents.len() <= 2);
    }

    #[test]
    fn deterministic_across_thread_counts() {
        let rows = three_topics();
        let p = ClusterParams { initial: 10, min_size: 2, ..Default::default() };
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            pool.install(|| cluster(&rows, 20, &p, &Control::new()).expect("cluster"))
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn tiny_and_empty_inputs() {
        let c = Control::new();
        assert!(cluster(&[], 5, &ClusterParams::default(), &c).expect("ok").is_empty());
        assert!(cluster(&[Vec::new()], 5, &ClusterParams::default(), &c).expect("ok").is_empty());
        let one = vec![unit(&[(1, 1.0)])];
        let p = ClusterParams { min_size: 1, ..Default::default() };
        assert_eq!(cluster(&one, 5, &p, &c).expect("ok").len(), 1);
    }

    #[test]
    fn cancel_stops() {
        let c = Control::new();
        c.cancel();
        let err = cluster(&three_topics(), 20, &ClusterParams::default(), &c).expect_err("cancelled");
        assert_eq!(err.kind(), crate::ErrorKind::Cancelled);
    }

    #[test]
    fn rng_is_stable() {
        let mut r = Rng::new(0);
        let a: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let mut r2 = Rng::new(0);
        let b: Vec<u64> = (0..3).map(|_| r2.next_u64()).collect();
        assert_eq!(a, b);
        assert!(Rng::new(1).below(10) < 10);
    }
}
