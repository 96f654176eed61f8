//! Stage 4: clustering.
//!
//! Groups complaint vectors without being told how many groups there are:
//!
//! 1. **Collapse** identical complaint vectors into one node that stands for
//!    all of them (so repeated complaints do not form clumps of their own).
//! 2. **Link** every node to its 10 most similar nodes, found through an
//!    inverted index (each term keeps the rows where it weighs most; the
//!    best candidates are re-scored exactly), so the work per complaint is
//!    bounded and does not depend on the seed. With blended embeddings a
//!    caller passes (see [`crate::embed`]) the nearest rows by a fixed
//!    random sketch of the embeddings join the candidates; the built-in
//!    word vectors ([`crate::wordvec`]) only re-score the candidates found
//!    by shared words.
//! 3. Find the communities of that graph with Louvain modularity
//!    optimisation (resolution 1, no randomness): the count follows from the
//!    data. Nodes are ordered by a hash of their contents, so the input
//!    order does not matter; 8 runs, each visiting the nodes in its own
//!    content-set order, vote on every link, and a last run on the links at
//!    least half of them keep gives the communities (consensus clustering).
//!    With `split_modularity` (fits with the caller's embeddings), each
//!    community whose own links form clear communities is split into them
//!    (`split_communities`: modularity cannot see communities below its
//!    resolution limit). Above `max_problems`, the most similar communities are merged
//!    (centroid correlation beyond the shared vocabulary, see
//!    `agglomerate`, which also groups problems into themes).
//! 4. **Settle**: every complaint joins its nearest community centroid and
//!    the centroids are recomputed (`refine_rounds` further k-means rounds
//!    after that first step, see [`ClusterParams`]), then groups smaller
//!    than `min_size` dissolve into their neighbours.
//!
//! Every step is deterministic: parallel steps are per-complaint
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

    /// Normalised means of `rows` grouped by `labels` (a label of `k` or
    /// more: in no group), over `dim` columns.
    pub(crate) fn means(dim: usize, k: usize, rows: &[SparseVec], labels: &[usize]) -> Self {
        let mut c = Centroids { k, dim, data: vec![0.0f32; dim * k] };
        if k > 0 {
            c.update(rows, labels);
        }
        c
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
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.scores_avx2(x, out) };
            return;
        }
        self.scores_into(x, out);
    }

    /// The loop of [`Self::scores`]: one multiply-add of `k` lanes per term.
    /// Each lane sums in term order whatever the vector width, so the
    /// result is the same bit for bit with or without AVX2.
    #[inline(always)]
    fn scores_into(&self, x: &SparseVec, out: &mut [f32]) {
        for &(t, w) in x {
            let start = t as usize * self.k;
            if let Some(row) = self.data.get(start..start + self.k) {
                for (o, &c) in out.iter_mut().zip(row) {
                    *o += w * c;
                }
            }
        }
    }

    /// [`Self::scores_into`] compiled for AVX2 (eight lanes at a time).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn scores_avx2(&self, x: &SparseVec, out: &mut [f32]) {
        self.scores_into(x, out)
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
    /// Number of k-means groups used when no community of the similarity
    /// graph reaches `min_size` (the seed only matters then).
    pub initial: usize,
    /// Never more problems than this.
    pub max_problems: usize,
    /// Groups with fewer members (in the clustered rows) are dissolved.
    pub min_size: usize,
    /// Louvain resolution: above 1 finds more, finer problems; below 1 fewer, broader ones.
    pub resolution: f32,
    /// Maximum k-means rounds of the plain k-means used when no community
    /// reaches `min_size`.
    pub max_iter: usize,
    /// Most k-means rounds after the first step from the community
    /// centroids (each complaint to its nearest, centroids recomputed).
    /// Further rounds pull the communities towards k-means' round groups
    /// of similar size: with keywords alone or a caller's embeddings that
    /// loses what the graph found (banking77: ARI -0.026 and -0.016 in 10
    /// of 10 paired draws at 20 rounds), so the default is 0. The fit uses
    /// 20 with the built-in word vectors, whose problems keep only their
    /// keywords afterwards: there the converged centres are found again
    /// on new samples of the same complaints (see the README).
    pub refine_rounds: usize,
    /// Features numbered from here on are dense (blended embeddings, see
    /// [`crate::embed`]), not words: with `dense_search`, neighbours by
    /// them are searched exhaustively besides the inverted index.
    pub words: usize,
    /// Terms numbered from here on (below [`ClusterParams::words`]) count
    /// in the similarity but do not find candidate neighbours: the fit's
    /// character pieces (see [`crate::chargrams`]), which complaints share
    /// so widely that searching by them made the search about twice as
    /// slow (for scores within 0.005 on the labelled data). Candidates come
    /// from the keywords, and the pieces then re-rank them.
    pub search_words: usize,
    /// Whether neighbours are also searched by the dense features alone.
    /// Off for the built-in word vectors: they are made of the complaint's
    /// own words, candidates by shared words find the same neighbours (as
    /// measured on the labelled data sets), and the exhaustive search would
    /// cost more than the rest of the fit.
    pub dense_search: bool,
    /// When set, each community Louvain finds is searched again on its
    /// own, and split into the parts found there when their modularity
    /// (within the community) reaches this value and at least two of them
    /// hold `min_size` complaints: see `split_communities`. Off by
    /// default; fits with the caller's embeddings use
    /// [`SPLIT_MODULARITY`].
    pub split_modularity: Option<f64>,
}

/// The modularity within a community at which fits with the caller's
/// embeddings split it into the communities found inside it. Modularity
/// optimisation cannot see communities smaller than about the square root
/// of the graph's weight (its resolution limit), so on a large sample a
/// community can hold several problems; a split needs internal structure
/// far clearer than chance gives a sparse graph (its best partitions reach
/// about 0.3 to 0.5). Measured on the labelled sets with MiniLM
/// embeddings (see the README): banking77's largest communities split
/// (intents such as pending card payments and pending transfers), while no
/// community of cfpb_products or tweet_complaints reaches it (at 0.5 they
/// fragment). Without embeddings, splitting only made fits of two samples
/// agree less.
pub const SPLIT_MODULARITY: f64 = 0.75;

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams {
            seed: 0,
            initial: 100,
            max_problems: 100,
            min_size: 5,
            max_iter: 20,
            refine_rounds: 0,
            resolution: 1.0,
            words: usize::MAX,
            search_words: usize::MAX,
            dense_search: true,
            split_modularity: None,
        }
    }
}

/// Each row's nearest centre, or `usize::MAX` for a row similar to none
/// (no term in common with any centre): such a row joins no group, rather
/// than the first one, whose centre it would pull off its subject.
fn assign(c: &Centroids, rows: &[SparseVec]) -> Vec<usize> {
    rows.par_iter()
        .map_init(Vec::new, |scratch, x| c.best(x, scratch).filter(|b| b.1 > 0.0).map(|b| b.0).unwrap_or(usize::MAX))
        .collect()
}

/// Dot product of two sparse vectors (sorted by term id).
pub(crate) fn dot(a: &SparseVec, b: &SparseVec) -> f32 {
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

/// Sum of two sparse vectors (sorted by term id).
pub(crate) fn add_scaled(a: &SparseVec, b: &SparseVec) -> SparseVec {
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

/// The word entries of a blended vector (terms below `words`; the dense
/// part after them dropped), at unit length.
pub(crate) fn words_only(v: &SparseVec, words: u32) -> SparseVec {
    normalized(&v.iter().copied().filter(|e| e.0 < words).collect())
}

/// `v` scaled to unit length (unchanged if zero).
pub(crate) fn normalized(v: &SparseVec) -> SparseVec {
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
        if counts.contains(&0) {
            let keep: Vec<usize> = (0..c.k).filter(|&i| counts[i] > 0).collect();
            c = c.select(&keep);
        }
        let new = assign(&c, rows);
        let moved = new.iter().zip(&labels).filter(|(a, b)| a != b).count();
        labels = new;
        if moved * 1000 <= rows.len() {
            break;
        }
    }
    let counts = c.update(rows, &labels);
    if counts.contains(&0) {
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
    let pairs: Vec<(usize, usize)> = (0..k).flat_map(|a| (a..k).map(move |b| (a, b))).collect();
    let vals: Vec<f64> = pairs.par_iter().map(|&(a, b)| dot(&sums[a], &sums[b]) as f64).collect();
    let mut w = vec![vec![0.0f64; k]; k];
    for (&(a, b), &v) in pairs.iter().zip(&vals) {
        w[a][b] = v;
        w[b][a] = v;
    }
    agglomerate(w, Until::Count(p.max_problems.max(1)))
        .iter()
        .map(|g| normalized(&g.iter().fold(Vec::new(), |acc, &i| add_scaled(&acc, &sums[i]))))
        .collect()
}

/// When [`agglomerate`] stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Until {
    /// At this many groups.
    Count(usize),
    /// When no two groups are more similar than chance.
    NoExcess,
}

/// Greedy agglomeration of groups from `w[a][b]`, the total similarity
/// between the members of groups `a` and `b` (`w[a][a]` within `a`).
///
/// Similarity between groups is taken after removing what every complaint
/// shares: with `d[a]` the total similarity of `a` to everyone and `T` the
/// grand total, `c(a, b) = w[a][b] - d[a] d[b] / T` is what is left of `w`
/// once the expected share is subtracted (the modularity term of the
/// complaint-similarity graph). The pair merged next is the one with the
/// highest `c(a, b) / sqrt(c(a, a) c(b, b))`, a correlation between the two
/// groups beyond the common vocabulary: unlike the raw centroid cosine it
/// does not rise just because complaints are long. Merging stops at
/// `until`. Returns the groups (indices into `w`), each sorted, ordered by
/// their first member.
pub(crate) fn agglomerate(mut w: Vec<Vec<f64>>, until: Until) -> Vec<Vec<usize>> {
    let k = w.len();
    let mut d: Vec<f64> = w.iter().map(|r| r.iter().sum()).collect();
    let t = d.iter().sum::<f64>().max(1e-12);
    let mut groups: Vec<Vec<usize>> = (0..k).map(|i| vec![i]).collect();
    let mut alive = vec![true; k];
    let mut live = k;
    while live > 1 {
        if let Until::Count(n) = until {
            if live <= n {
                break;
            }
        }
        let cen = |w: &[Vec<f64>], x: usize, y: usize| w[x][y] - d[x] * d[y] / t;
        let mut best = (0, 0, f64::NEG_INFINITY, 0.0);
        let live_ids: Vec<usize> = (0..k).filter(|&i| alive[i]).collect();
        for (x, &a) in live_ids.iter().enumerate() {
            for &b in &live_ids[x + 1..] {
                let c = cen(&w, a, b);
                let gain = c / (cen(&w, a, a).max(1e-12) * cen(&w, b, b).max(1e-12)).sqrt();
                if gain > best.2 {
                    best = (a, b, gain, c);
                }
            }
        }
        let (a, b, _, excess) = best;
        if until == Until::NoExcess && excess <= 0.0 {
            break;
        }
        let moved = std::mem::take(&mut groups[b]);
        groups[a].extend(moved);
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
    let mut out: Vec<Vec<usize>> = (0..k).filter(|&i| alive[i]).map(|i| std::mem::take(&mut groups[i])).collect();
    for g in &mut out {
        g.sort_unstable();
    }
    out.sort_by_key(|g| g[0]);
    out
}

/// Neighbours per complaint in the similarity graph.
const KNN: usize = 10;
/// Postings kept per term (those where the term weighs most); terms rarer
/// than this are searched exhaustively.
const POSTINGS: usize = 200;
/// Terms of a complaint used to find candidates (its heaviest ones).
const QUERY_TERMS: usize = 16;
/// Candidates re-scored exactly per complaint.
const RESCORE: usize = 150;

/// Approximate `k` nearest neighbours (cosine) of every row, found through
/// an inverted index: each term keeps the `POSTINGS` rows where it weighs
/// most; a row's heaviest `QUERY_TERMS` terms collect candidates with a
/// partial similarity, and the best `RESCORE` of them are scored exactly.
/// No randomness; below `POSTINGS` rows per term the search is exact over
/// the rows sharing a query term.
fn knn(
    rows: &[SparseVec],
    dim: usize,
    words: usize,
    search: usize,
    k: usize,
    dense_search: bool,
) -> Vec<Vec<(usize, f32)>> {
    let n = rows.len();
    let (postings_cap, qterms, rescore) = (POSTINGS, QUERY_TERMS, RESCORE);
    let words = words.min(dim);
    // Where each row's words end (its embedding part, if any, follows).
    let ends: Vec<usize> = rows.iter().map(|x| x.partition_point(|e| (e.0 as usize) < words)).collect();
    let words_of = |i: usize| rows.get(i).map(|r| &r[..ends.get(i).copied().unwrap_or(0)]).unwrap_or(&[]);
    // The embedding part of every row as one contiguous matrix: sketched to
    // find candidates, and used for exact re-scoring with plain dot products.
    let d = dim - words;
    let mut embedded = vec![0.0f32; if d > 0 { n * d } else { 0 }];
    if d > 0 {
        for ((x, &end), out) in rows.iter().zip(&ends).zip(embedded.chunks_exact_mut(d)) {
            for &(t, w) in &x[end..] {
                if let Some(slot) = out.get_mut(t as usize - words) {
                    *slot = w;
                }
            }
        }
    }
    let embedded_row = |i: usize| embedded.get(i * d..(i + 1) * d).unwrap_or(&[]);
    let dense_near: Vec<Vec<u32>> = match dense_search.then(|| DenseSketch::new(&embedded, n, d)).flatten() {
        Some(s) => s.all_nearest(DENSE_CANDIDATES),
        None => Vec::new(),
    };
    let search = search.min(words);
    let searched_of = |i: usize| {
        let x = words_of(i);
        &x[..x.partition_point(|e| (e.0 as usize) < search)]
    };
    let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); search];
    for i in 0..n {
        for &(t, w) in searched_of(i) {
            if let Some(p) = postings.get_mut(t as usize) {
                p.push((i as u32, w));
            }
        }
    }
    postings.par_iter_mut().for_each(|p| {
        if p.len() > postings_cap {
            p.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            p.truncate(postings_cap);
        }
    });
    (0..n)
        .into_par_iter()
        .map_init(
            || (vec![0.0f32; n], Vec::<u32>::new(), vec![0.0f32; dim], Vec::<(u32, f32)>::new()),
            |(acc, touched, dense, q), i| {
                q.clear();
                q.extend_from_slice(searched_of(i));
                q.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                q.truncate(qterms);
                for &(t, w) in q.iter() {
                    for &(j, wj) in postings.get(t as usize).map(|p| p.as_slice()).unwrap_or(&[]) {
                        if let Some(a) = acc.get_mut(j as usize) {
                            if *a == 0.0 {
                                touched.push(j);
                            }
                            *a += w * wj;
                        }
                    }
                }
                let mut cand: Vec<(u32, f32)> = touched
                    .iter()
                    .filter(|&&j| j as usize != i)
                    .map(|&j| (j, acc.get(j as usize).copied().unwrap_or(0.0)))
                    .collect();
                for &j in touched.iter() {
                    if let Some(a) = acc.get_mut(j as usize) {
                        *a = 0.0;
                    }
                }
                touched.clear();
                let by_score = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
                if cand.len() > rescore {
                    cand.select_nth_unstable_by(rescore, by_score);
                    cand.truncate(rescore);
                }
                if let Some(near) = dense_near.get(i) {
                    // Blended embeddings: add the nearest rows by embedding.
                    let mut seen: rustc_hash::FxHashSet<u32> = cand.iter().map(|c| c.0).collect();
                    for &j in near {
                        if seen.insert(j) {
                            cand.push((j, 0.0));
                        }
                    }
                }
                // Exact similarity: words through a dense scratch row, the
                // embedding parts (contiguous, same columns) as a plain dot.
                let xw = words_of(i);
                let xd = embedded_row(i);
                for &(t, w) in xw {
                    if let Some(d) = dense.get_mut(t as usize) {
                        *d = w;
                    }
                }
                for c in cand.iter_mut() {
                    let words: f32 = words_of(c.0 as usize)
                        .iter()
                        .map(|&(t, w)| w * dense.get(t as usize).copied().unwrap_or(0.0))
                        .sum();
                    c.1 = words + dense_dot(xd, embedded_row(c.0 as usize));
                }
                for &(t, _) in xw {
                    if let Some(d) = dense.get_mut(t as usize) {
                        *d = 0.0;
                    }
                }
                cand.retain(|c| c.1 > 0.0);
                cand.sort_by(by_score);
                cand.truncate(k);
                cand.into_iter().map(|(j, s)| (j as usize, s)).collect()
            },
        )
        .collect()
}

/// Rows found by embedding per complaint, re-scored exactly with the rest.
const DENSE_CANDIDATES: usize = 100;
/// Width of the embedding sketches used to find them.
const SKETCH: usize = 64;

/// Low-dimensional sketches of the embedding part of each row: a
/// fixed random projection (the same for every fit, so results do not
/// depend on the seed), used only to find candidate neighbours, which are
/// then scored exactly.
struct DenseSketch {
    n: usize,
    data: Vec<[f32; SKETCH]>,
    /// The same sketches, [`LANES`] rows at a time, column by column
    /// (`cols[b][c][l]` is column `c` of row `b * LANES + l`; rows past `n`
    /// are zeros): a block of rows is scored against a query in one pass,
    /// each lane a row, with no sum across lanes.
    cols: Vec<[[f32; LANES]; SKETCH]>,
}

/// Rows scored side by side by [`DenseSketch::score_block`].
const LANES: usize = 8;
/// Queries scored together, so each block of rows is read once for all.
const QUERIES: usize = 4;

impl DenseSketch {
    /// Sketches of the `n` rows of `embedded` (row-major, `d` columns).
    fn new(embedded: &[f32], n: usize, d: usize) -> Option<DenseSketch> {
        if d == 0 {
            return None;
        }
        let mut rng = Rng::new(0x5EED_0F5C_E7C4);
        // Gaussian projection matrix (Box-Muller), d x SKETCH.
        let proj: Vec<f32> = (0..d * SKETCH)
            .map(|_| {
                let u1 = rng.next_f64().max(1e-12);
                let u2 = rng.next_f64();
                ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
            })
            .collect();
        let data: Vec<[f32; SKETCH]> = embedded
            .par_chunks_exact(d)
            .map(|x| {
                let mut out = [0.0f32; SKETCH];
                for (&w, row) in x.iter().zip(proj.chunks_exact(SKETCH)) {
                    for (o, &p) in out.iter_mut().zip(row) {
                        *o += w * p;
                    }
                }
                let norm = out.iter().map(|v| v * v).sum::<f32>().sqrt();
                if norm > 0.0 {
                    out.iter_mut().for_each(|v| *v /= norm);
                }
                out
            })
            .collect();
        let cols = data
            .chunks(LANES)
            .map(|rows| {
                let mut block = [[0.0f32; LANES]; SKETCH];
                for (l, row) in rows.iter().enumerate() {
                    for (col, &v) in block.iter_mut().zip(row) {
                        col[l] = v;
                    }
                }
                block
            })
            .collect();
        Some(DenseSketch { n, data, cols })
    }

    /// Similarity of up to [`QUERIES`] sketches to every row, into
    /// `scores` (query-major, `n` per query, padded to whole blocks).
    fn score_block(&self, queries: &[[f32; SKETCH]], scores: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.score_block_avx2(queries, scores) };
            return;
        }
        self.score_block_lanes(queries, scores)
    }

    /// [`Self::score_block_lanes`] compiled for AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn score_block_avx2(&self, queries: &[[f32; SKETCH]], scores: &mut [f32]) {
        self.score_block_lanes(queries, scores)
    }

    /// The kernel of [`Self::score_block`]: each score sums its columns in
    /// order, so the bits are the same at any vector width.
    #[inline(always)]
    fn score_block_lanes(&self, queries: &[[f32; SKETCH]], scores: &mut [f32]) {
        let stride = self.cols.len() * LANES;
        let nq = queries.len().min(QUERIES);
        let mut q = [[0.0f32; SKETCH]; QUERIES];
        q[..nq].copy_from_slice(&queries[..nq]);
        for (b, block) in self.cols.iter().enumerate() {
            let mut acc = [[0.0f32; LANES]; QUERIES];
            for (c, col) in block.iter().enumerate() {
                for (a, qk) in acc.iter_mut().zip(&q) {
                    let w = qk[c];
                    for (x, &v) in a.iter_mut().zip(col) {
                        *x += w * v;
                    }
                }
            }
            for (k, a) in acc.iter().enumerate().take(nq) {
                if let Some(out) = scores.get_mut(k * stride + b * LANES..k * stride + (b + 1) * LANES) {
                    out.copy_from_slice(a);
                }
            }
        }
    }

    /// For every row, the `m` other rows whose sketches are most similar
    /// (ties to the lower row). Queries go [`QUERIES`] at a time against
    /// blocks of [`LANES`] rows, so the sketches are read once per group of
    /// queries.
    fn all_nearest(&self, m: usize) -> Vec<Vec<u32>> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let n = self.n;
        let stride = self.cols.len() * LANES;
        // Orders floats like numbers, as unsigned integers.
        let key = |v: f32| {
            let b = v.to_bits();
            if b & 0x8000_0000 != 0 {
                !b
            } else {
                b | 0x8000_0000
            }
        };
        let groups: Vec<Vec<Vec<u32>>> = self
            .data
            .par_chunks(QUERIES)
            .enumerate()
            .map_init(Vec::new, |scores: &mut Vec<f32>, (gi, queries)| {
                scores.clear();
                scores.resize(QUERIES * stride, 0.0);
                self.score_block(queries, scores);
                (0..queries.len())
                    .map(|qi| {
                        let i = gi * QUERIES + qi;
                        // The best `m`: higher score first, then lower row.
                        let mut heap: BinaryHeap<Reverse<(u32, u32)>> = BinaryHeap::with_capacity(m + 1);
                        for (j, &v) in scores[qi * stride..qi * stride + n].iter().enumerate() {
                            if j == i {
                                continue;
                            }
                            let k = (key(v), u32::MAX - j as u32);
                            if heap.len() < m {
                                heap.push(Reverse(k));
                            } else if heap.peek().is_some_and(|top| k > top.0) {
                                heap.pop();
                                heap.push(Reverse(k));
                            }
                        }
                        let mut near: Vec<u32> = heap.into_iter().map(|Reverse((_, j))| u32::MAX - j).collect();
                        near.sort_unstable();
                        near
                    })
                    .collect()
            })
            .collect();
        groups.into_iter().flatten().collect()
    }
}

/// Dot product of two dense vectors (embedding parts or sketches; empty
/// for rows without embeddings), in eight lanes.
#[inline]
fn dense_dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { dense_dot_avx2(a, b) };
    }
    dense_dot_lanes(a, b)
}

/// [`dense_dot_lanes`] compiled for AVX2 (the eight lanes in one register).
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dense_dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    dense_dot_lanes(a, b)
}

/// The dot product in eight lanes, each summed in order, then the lanes
/// summed: the same bits at any vector width.
#[inline(always)]
fn dense_dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let sum = acc.iter().sum::<f32>();
    if ra.is_empty() {
        sum
    } else {
        sum + ra.iter().zip(rb).map(|(x, y)| x * y).sum::<f32>()
    }
}

/// Identical rows as one node: the distinct rows (in content-hash order),
/// how many rows each stands for, its content hash, and each row's node.
fn collapse(rows: &[SparseVec]) -> (Vec<SparseVec>, Vec<f64>, Vec<u64>, Vec<usize>) {
    // Hashed in parallel (rows with embeddings have hundreds of entries);
    // rows with equal hashes are then compared in full.
    let row_hash: Vec<u64> = rows.par_iter().map(vector_hash).collect();
    let mut index: rustc_hash::FxHashMap<u64, Vec<usize>> = Default::default();
    // The first row of each distinct content, and how many rows share it.
    let mut first: Vec<usize> = Vec::new();
    let mut mult: Vec<f64> = Vec::new();
    let mut of_row = Vec::with_capacity(rows.len());
    for (i, (x, &h)) in rows.iter().zip(&row_hash).enumerate() {
        let bucket = index.entry(h).or_default();
        let u = match bucket.iter().copied().find(|&u| first.get(u).is_some_and(|&f| exact(&rows[f]).eq(exact(x)))) {
            Some(u) => u,
            None => {
                first.push(i);
                mult.push(0.0);
                bucket.push(first.len() - 1);
                first.len() - 1
            }
        };
        if let Some(m) = mult.get_mut(u) {
            *m += 1.0;
        }
        of_row.push(u);
    }
    // Nodes in an order set by their content, not by where they stand in
    // the input: the graph search and Louvain's visiting order then give
    // the same problems however the rows are sorted.
    let mut order: Vec<usize> = (0..first.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (first[a], first[b]);
        row_hash[a].cmp(&row_hash[b]).then_with(|| exact(&rows[a]).cmp(exact(&rows[b])))
    });
    let mut new_of = vec![0usize; first.len()];
    for (new, &old) in order.iter().enumerate() {
        new_of[old] = new;
    }
    let uniq: Vec<SparseVec> = order.iter().map(|&u| rows[first[u]].clone()).collect();
    let mult: Vec<f64> = order.iter().map(|&u| mult[u]).collect();
    let hashes: Vec<u64> = order.iter().map(|&u| row_hash[first[u]]).collect();
    let of_row: Vec<usize> = of_row.into_iter().map(|u| new_of[u]).collect();
    (uniq, mult, hashes, of_row)
}

/// A vector's exact contents: each term with the bits of its weight (so
/// they compare and hash as integers, and 0.0 is not -0.0).
fn exact(x: &SparseVec) -> impl Iterator<Item = (u32, u32)> + '_ {
    x.iter().map(|&(t, w)| (t, w.to_bits()))
}

/// [`content_hash`] of [`exact`] contents, without copying them.
fn vector_hash(x: &SparseVec) -> u64 {
    use std::hash::Hasher;
    // As hashing the slice of pairs does: its length, then each pair's two
    // numbers.
    let mut h = rustc_hash::FxHasher::default();
    h.write_usize(x.len());
    for (t, b) in exact(x) {
        h.write_u32(t);
        h.write_u32(b);
    }
    mix(h.finish())
}

/// A well-mixed 64-bit hash of a vector's exact contents (FxHash, then
/// the SplitMix64 finaliser), the same on every platform and run.
fn content_hash(key: &[(u32, u32)]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    key.hash(&mut h);
    mix(h.finish())
}

/// The SplitMix64 finaliser: every input bit affects every output bit.
pub(crate) fn mix(z: u64) -> u64 {
    let mut z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One level of Louvain local moving over a weighted graph, nodes visited
/// in index order; returns the community of each node (renumbered 0..).
fn louvain_level(adj: &[Vec<(usize, f64)>], self_w: &[f64], gamma: f64) -> (Vec<usize>, bool) {
    let n = adj.len();
    let deg: Vec<f64> = (0..n).map(|i| adj[i].iter().map(|e| e.1).sum::<f64>() + self_w[i]).collect();
    let m2: f64 = deg.iter().sum::<f64>().max(1e-12);
    let mut comm: Vec<usize> = (0..n).collect();
    let mut tot: Vec<f64> = deg.clone();
    let mut wto = vec![0.0f64; n];
    let mut touched: Vec<usize> = Vec::new();
    let mut improved = false;
    for _pass in 0..20 {
        let mut moves = 0usize;
        for i in 0..n {
            let ci = comm[i];
            for &(j, w) in &adj[i] {
                let cj = comm[j];
                if wto[cj] == 0.0 {
                    touched.push(cj);
                }
                wto[cj] += w;
            }
            tot[ci] -= deg[i];
            let own = wto[ci];
            let mut best = (ci, own - gamma * tot[ci] * deg[i] / m2);
            touched.sort_unstable();
            for &cj in &touched {
                let g = wto[cj] - gamma * tot[cj] * deg[i] / m2;
                if g > best.1 + 1e-12 {
                    best = (cj, g);
                }
            }
            for &cj in &touched {
                wto[cj] = 0.0;
            }
            touched.clear();
            tot[best.0] += deg[i];
            if best.0 != ci {
                comm[i] = best.0;
                moves += 1;
                improved = true;
            }
        }
        if moves == 0 {
            break;
        }
    }
    let mut remap = vec![usize::MAX; n];
    let mut next = 0;
    for c in comm.iter_mut() {
        if remap[*c] == usize::MAX {
            remap[*c] = next;
            next += 1;
        }
        *c = remap[*c];
    }
    (comm, improved)
}

/// Louvain communities of a kNN graph, deterministic: nodes are visited in
/// index order (see [`consensus_louvain`] for how that order is set).
/// The graph's directed links `(i, j, weight)`: each similarity of node
/// `i` to a neighbour `j` (not itself, and within the graph), scaled by
/// the number of rows `i` stands for. [`louvain`] and [`modularity`] both
/// weigh the graph by these.
fn links<'a>(nbrs: &'a [Vec<(usize, f32)>], mult: &'a [f64]) -> impl Iterator<Item = (usize, usize, f64)> + 'a {
    let n = nbrs.len();
    nbrs.iter().enumerate().flat_map(move |(i, l)| {
        let m = mult.get(i).copied().unwrap_or(1.0);
        l.iter().filter(move |&&(j, _)| j < n && j != i).map(move |&(j, w)| (i, j, m * w as f64))
    })
}

fn louvain(nbrs: &[Vec<(usize, f32)>], mult: &[f64], gamma: f64) -> Vec<usize> {
    let n = nbrs.len();
    // Symmetrise: weight of {i, j} = sum of the two directed similarities
    // (A + A^T, so mutual neighbours count twice), each scaled by the
    // number of rows its node stands for.
    let mut edges: Vec<(usize, usize, f64)> =
        links(nbrs, mult).map(|(i, j, w)| if i < j { (i, j, w) } else { (j, i, w) }).collect();
    edges.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)).then(x.2.total_cmp(&y.2)));
    edges.dedup_by(|x, y| {
        if x.0 == y.0 && x.1 == y.1 {
            y.2 += x.2;
            true
        } else {
            false
        }
    });
    let mut adj: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for &(a, b, w) in &edges {
        adj[a].push((b, w));
        adj[b].push((a, w));
    }
    let mut self_w = vec![0.0f64; n];
    let mut node_comm: Vec<usize> = (0..n).collect();
    for _level in 0..20 {
        let (comm, improved) = louvain_level(&adj, &self_w, gamma);
        for c in node_comm.iter_mut() {
            *c = comm[*c];
        }
        if !improved {
            break;
        }
        let k = comm.iter().copied().max().map(|m| m + 1).unwrap_or(0);
        let mut new_self = vec![0.0f64; k];
        let mut agg: Vec<Vec<(usize, f64)>> = vec![Vec::new(); k];
        for (i, l) in adj.iter().enumerate() {
            new_self[comm[i]] += self_w[i];
            for &(j, w) in l {
                if comm[i] == comm[j] {
                    new_self[comm[i]] += w;
                } else {
                    agg[comm[i]].push((comm[j], w));
                }
            }
        }
        for l in agg.iter_mut() {
            l.sort_by_key(|a| a.0);
            let mut out: Vec<(usize, f64)> = Vec::with_capacity(l.len());
            for &(j, w) in l.iter() {
                match out.last_mut() {
                    Some(last) if last.0 == j => last.1 += w,
                    _ => out.push((j, w)),
                }
            }
            *l = out;
        }
        adj = agg;
        self_w = new_self;
    }
    node_comm
}

/// Louvain runs combined into one partition.
const CONSENSUS_RUNS: usize = 8;

/// Louvain communities agreed on by several runs (consensus clustering,
/// Lancichinetti & Fortunato 2012). One Louvain run depends on the order in
/// which it visits the nodes; `CONSENSUS_RUNS` runs, each visiting them in
/// its own fixed order (set by the nodes' contents, so the input order does
/// not matter), vote on every edge of the graph: an edge is kept, weighted
/// by the share of runs that put its two ends together, when at least half
/// of them do, and a last run on that graph gives the communities.
fn consensus_louvain(hashes: &[u64], nb: &[Vec<(usize, f32)>], mult: &[f64], gamma: f64) -> Vec<usize> {
    let n = nb.len();
    let parts: Vec<Vec<usize>> = (0..CONSENSUS_RUNS)
        .into_par_iter()
        .map(|r| {
            if r == 0 {
                return louvain(nb, mult, gamma);
            }
            // Nodes are already in content-hash order; run r visits them in
            // the order of a second hash salted with r.
            let salt = (r as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&u| {
                let h = hashes.get(u).copied().unwrap_or(0) ^ salt;
                (content_hash(&[(h as u32, (h >> 32) as u32)]), u)
            });
            let mut new_of = vec![0usize; n];
            for (new, &old) in order.iter().enumerate() {
                new_of[old] = new;
            }
            let pn: Vec<Vec<(usize, f32)>> =
                order.iter().map(|&old| nb[old].iter().map(|&(j, w)| (new_of[j], w)).collect()).collect();
            let pm: Vec<f64> = order.iter().map(|&old| mult.get(old).copied().unwrap_or(1.0)).collect();
            let c = louvain(&pn, &pm, gamma);
            (0..n).map(|old| c[new_of[old]]).collect()
        })
        .collect();
    let agreed: Vec<Vec<(usize, f32)>> = nb
        .iter()
        .enumerate()
        .map(|(i, l)| {
            l.iter()
                .filter_map(|&(j, w)| {
                    let votes = parts.iter().filter(|q| q.get(i) == q.get(j)).count();
                    (2 * votes >= CONSENSUS_RUNS).then_some((j, w * votes as f32 / CONSENSUS_RUNS as f32))
                })
                .collect()
        })
        .collect();
    louvain(&agreed, mult, gamma)
}

/// Communities `comm` of the graph `nb` (nodes standing for `mult` rows
/// each), each split into the communities Louvain finds inside it (on its
/// own edges, at resolution `gamma`) when their modularity within it
/// reaches `q0` and at least two of them hold `min_size` rows. Smaller
/// parts stay with the largest; split-off parts take new numbers after the
/// existing ones, in order. Deterministic: nodes are visited in their order.
fn split_communities(
    nb: &[Vec<(usize, f32)>],
    mult: &[f64],
    comm: Vec<usize>,
    min_size: usize,
    q0: f64,
    gamma: f64,
) -> Vec<usize> {
    let k = comm.iter().copied().max().map_or(0, |m| m + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (u, &c) in comm.iter().enumerate() {
        members[c].push(u);
    }
    let weight = |u: usize| mult.get(u).copied().unwrap_or(1.0);
    let mut out = comm;
    let mut next = k;
    // Each node's number within the community searched (`usize::MAX`
    // outside it).
    let mut local = vec![usize::MAX; out.len()];
    for (c, nodes) in members.iter().enumerate() {
        if nodes.iter().map(|&u| weight(u)).sum::<f64>() < 2.0 * min_size as f64 {
            continue;
        }
        for (i, &u) in nodes.iter().enumerate() {
            local[u] = i;
        }
        let sub: Vec<Vec<(usize, f32)>> = nodes
            .iter()
            .map(|&u| {
                let links = nb.get(u).map_or(&[][..], |l| l.as_slice());
                links.iter().filter_map(|&(j, w)| local.get(j).filter(|&&l| l != usize::MAX).map(|&l| (l, w))).collect()
            })
            .collect();
        for &u in nodes {
            local[u] = usize::MAX;
        }
        let sub_mult: Vec<f64> = nodes.iter().map(|&u| weight(u)).collect();
        let parts = louvain(&sub, &sub_mult, gamma);
        let np = parts.iter().copied().max().map_or(0, |m| m + 1);
        let mut size = vec![0.0f64; np];
        for (&part, &m) in parts.iter().zip(&sub_mult) {
            size[part] += m;
        }
        let big: Vec<usize> = (0..np).filter(|&x| size[x] >= min_size as f64).collect();
        if big.len() < 2 || modularity(&sub, &sub_mult, &parts) < q0 {
            continue;
        }
        // The largest part keeps the number (and the parts too small to
        // stand alone); the others take new ones.
        let Some(&largest) = big.iter().max_by(|&&a, &&b| size[a].total_cmp(&size[b]).then(b.cmp(&a))) else {
            continue;
        };
        let mut id = vec![c; np];
        for &x in big.iter().filter(|&&x| x != largest) {
            id[x] = next;
            next += 1;
        }
        for (&u, &part) in nodes.iter().zip(&parts) {
            out[u] = id[part];
        }
    }
    out
}

/// Newman's modularity of the partition `labels` of the graph `nbrs` (each
/// directed similarity scaled by its node's `mult`, as [`louvain`] weighs
/// it; the two directions of a link add up).
fn modularity(nbrs: &[Vec<(usize, f32)>], mult: &[f64], labels: &[usize]) -> f64 {
    let mut deg = vec![0.0f64; nbrs.len()];
    let mut inside = 0.0f64;
    let mut total = 0.0f64;
    for (i, j, w) in links(nbrs, mult) {
        deg[i] += w;
        deg[j] += w;
        total += 2.0 * w;
        if labels.get(i) == labels.get(j) {
            inside += 2.0 * w;
        }
    }
    if total <= 0.0 {
        return 0.0;
    }
    let k = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut d = vec![0.0f64; k];
    for (i, &l) in labels.iter().enumerate() {
        d[l] += deg[i];
    }
    inside / total - d.iter().map(|x| (x / total) * (x / total)).sum::<f64>()
}

fn community_centroids(rows: &[SparseVec], dim: usize, comm: &[usize], min_size: usize) -> Vec<SparseVec> {
    let k = comm.iter().copied().max().map(|m| m + 1).unwrap_or(0);
    let mut counts = vec![0usize; k];
    for &c in comm {
        counts[c] += 1;
    }
    let c = {
        let mut cs = Centroids { k, dim, data: vec![0.0; dim * k] };
        cs.update(rows, comm);
        cs
    };
    let keep: Vec<usize> = (0..k).filter(|&i| counts[i] >= min_size.max(1)).collect();
    c.select(&keep).to_sparse()
}

/// Cluster unit-length `rows` over `dim` terms. Returns unit-length
/// centroids; their number is chosen by the data within the parameters.
pub fn cluster(rows: &[SparseVec], dim: usize, p: &ClusterParams, ctl: &Control) -> Result<Vec<SparseVec>> {
    let mut steps = 0;
    let out = cluster_steps(rows, dim, p, ctl, &mut steps)?;
    ctl.advance(PROGRESS_STEPS.saturating_sub(steps));
    Ok(out)
}

/// Units of work [`cluster`] reports to its [`Control`] (callers count
/// them in the total they announce): the neighbour search, Louvain (two),
/// then the settling.
pub const PROGRESS_STEPS: u64 = 4;

fn cluster_steps(
    rows: &[SparseVec],
    dim: usize,
    p: &ClusterParams,
    ctl: &Control,
    steps: &mut u64,
) -> Result<Vec<SparseVec>> {
    let mut step = |units: u64| {
        ctl.advance(units);
        *steps += units;
    };
    let rows: Vec<SparseVec> = rows.iter().filter(|x| !x.is_empty()).cloned().collect();
    if rows.is_empty() || dim == 0 {
        return Ok(Vec::new());
    }
    // Communities of the complaint-similarity graph: identical complaints
    // become one node standing for all of them, each node is linked to its
    // nearest neighbours, and Louvain finds the groups.
    let (uniq, mult, hashes, of_row) = collapse(&rows);
    ctl.check()?;
    let nb = knn(&uniq, dim, p.words, p.search_words, KNN, p.dense_search);
    step(1);
    ctl.check()?;
    let ucomm = consensus_louvain(&hashes, &nb, &mult, p.resolution.max(1e-3) as f64);
    let ucomm = match p.split_modularity {
        Some(q) => split_communities(&nb, &mult, ucomm, p.min_size, q, p.resolution.max(1e-3) as f64),
        None => ucomm,
    };
    step(2);
    let comm: Vec<usize> = of_row.iter().map(|&u| ucomm.get(u).copied().unwrap_or(0)).collect();
    let k = comm.iter().copied().max().map(|m| m + 1).unwrap_or(0);
    let mut merged = community_centroids(&rows, dim, &comm, p.min_size);
    if merged.is_empty() {
        // No community is big enough: plain k-means with `initial` groups.
        let mut rng = Rng::new(p.seed);
        let k0 = p.initial.clamp(1, rows.len());
        let start = kmeans_pp(&rows, dim, k0, &mut rng, ctl)?;
        merged = lloyd(start, &rows, p.max_iter, ctl)?.0.to_sparse();
    }
    if merged.len() > p.max_problems && k > 0 {
        // Too many communities: merge the most similar until within the cap.
        let cc = Centroids::from_sparse(dim, &merged);
        let l = assign(&cc, &rows);
        merged = merge(&cc, &rows, &l, p);
    }
    // Every complaint joins its nearest community centre and the centres
    // are taken again over their new members, then `refine_rounds` more
    // k-means rounds at most.
    let (mut c, mut labels) = lloyd(Centroids::from_sparse(dim, &merged), &rows, p.refine_rounds, ctl)?;
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
        if keep.len() == c.k {
            break;
        }
        if keep.is_empty() {
            // No group is as large as a problem must be: there is none.
            return Ok(Vec::new());
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
        let p = ClusterParams { initial: 12, min_size: 3, ..Default::default() };
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
    fn terms_beyond_search_words_rank_neighbours_but_do_not_find_them() {
        let rows = vec![
            unit(&[(0, 1.0), (10, 1.0)]),
            unit(&[(0, 1.0), (10, 1.0), (11, 0.1)]),
            unit(&[(0, 1.0), (12, 1.0)]),
            unit(&[(5, 1.0), (10, 1.0)]),
        ];
        let ids = |nb: &Vec<(usize, f32)>| nb.iter().map(|e| e.0).collect::<Vec<_>>();
        let limited = knn(&rows, 20, 20, 10, 3, false);
        assert_eq!(ids(&limited[0]), vec![1, 2]);
        assert!(limited[0][0].1 > 0.9 && (limited[0][1].1 - 0.5).abs() < 1e-5);
        let all = knn(&rows, 20, 20, usize::MAX, 3, false);
        assert_eq!(ids(&all[0]), vec![1, 2, 3]);
    }

    #[test]
    fn max_problems_caps_the_count() {
        let rows = three_topics();
        let p = ClusterParams { initial: 12, min_size: 1, max_problems: 2, ..Default::default() };
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

    /// Whether `cents` is a fixed point of k-means on `rows`: each centroid
    /// is the (unit-length) mean of the rows nearest to it.
    fn is_k_means_fixed_point(rows: &[SparseVec], dim: usize, cents: &[SparseVec]) -> bool {
        let c = Centroids::from_sparse(dim, cents);
        let labels = assign(&c, rows);
        let mut again = c.clone();
        again.update(rows, &labels);
        c.data.iter().zip(&again.data).all(|(a, b)| (a - b).abs() < 1e-5)
    }

    #[test]
    fn settling_runs_k_means_only_as_far_as_asked() {
        // Complaints spread at random along an arc between two terms, each
        // with a little of one of nine other words: the graph's communities
        // are not where k-means would put its boundaries. (Checked: the
        // test fails if the settle step ignores `refine_rounds` either way.)
        let mut rows = Vec::new();
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let t = rng.next_f64() as f32;
            let angle = std::f32::consts::FRAC_PI_2 * t;
            rows.push(unit(&[
                (0, angle.cos()),
                (1, angle.sin()),
                (2 + rng.below(9) as u32, 0.4 * rng.next_f64() as f32),
            ]));
        }
        let settle = |refine_rounds| {
            let p = ClusterParams { min_size: 3, refine_rounds, ..Default::default() };
            cluster(&rows, 12, &p, &Control::new()).expect("cluster")
        };
        let (one_step, converged) = (settle(0), settle(50));
        assert!(one_step.len() > 1, "the arc splits into communities");
        assert!(is_k_means_fixed_point(&rows, 12, &converged), "50 rounds reach a fixed point");
        assert!(!is_k_means_fixed_point(&rows, 12, &one_step), "no rounds after the first step");
    }

    /// Pseudo-random floats in [-1, 1) for the kernel tests.
    fn floats(rng: &mut Rng, n: usize) -> Vec<f32> {
        (0..n).map(|_| (rng.next_f64() * 2.0 - 1.0) as f32).collect()
    }

    #[test]
    fn vector_kernels_agree_bit_for_bit() {
        // The AVX2 builds of the scoring loops must give exactly the
        // portable result, or fits would depend on the machine.
        let mut rng = Rng::new(7);
        for k in [1usize, 3, 8, 13, 67] {
            let dim = 200;
            let data = floats(&mut rng, dim * k);
            let c = Centroids { k, dim, data };
            for len in [0usize, 1, 5, 40, 120] {
                let mut x: SparseVec = (0..len).map(|_| (rng.below(dim + 5) as u32, floats(&mut rng, 1)[0])).collect();
                x.sort_by_key(|e| e.0);
                x.dedup_by_key(|e| e.0);
                let mut fast = Vec::new();
                c.scores(&x, &mut fast);
                let mut portable = vec![0.0f32; k];
                c.scores_into(&x, &mut portable);
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&fast), bits(&portable), "k {k}, {len} terms");
            }
        }
        for n in [0usize, 1, 7, 8, 9, 64, 100] {
            let (a, b) = (floats(&mut rng, n), floats(&mut rng, n));
            assert_eq!(dense_dot(&a, &b).to_bits(), dense_dot_lanes(&a, &b).to_bits(), "{n} dims");
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dense_dot(&a, &b) - plain).abs() <= 1e-4 * (1.0 + plain.abs()));
        }
    }

    #[test]
    fn sketch_search_scores_every_row_and_keeps_the_nearest() {
        // Row counts around the block width, groups of one to four queries.
        let mut rng = Rng::new(11);
        for n in [1usize, 2, 7, 8, 9, 30] {
            let d = 10;
            let s = DenseSketch::new(&floats(&mut rng, n * d), n, d).expect("sketches");
            let stride = s.cols.len() * LANES;
            for q in 1..=QUERIES.min(n) {
                let queries = &s.data[n - q..];
                let mut fast = vec![0.0f32; QUERIES * stride];
                let mut portable = fast.clone();
                s.score_block(queries, &mut fast);
                s.score_block_lanes(queries, &mut portable);
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&fast), bits(&portable), "{n} rows, {q} queries");
                for (qi, query) in queries.iter().enumerate() {
                    for (j, row) in s.data.iter().enumerate() {
                        let plain: f32 = query.iter().zip(row).map(|(x, y)| x * y).sum();
                        assert!((fast[qi * stride + j] - plain).abs() < 1e-5, "{n} rows, query {qi}, row {j}");
                    }
                }
            }
            // Each row's 3 nearest others, as a brute-force search finds them.
            let near = s.all_nearest(3);
            assert_eq!(near.len(), n);
            for (i, got) in near.iter().enumerate() {
                let dot = |j: usize| s.data[i].iter().zip(&s.data[j]).map(|(x, y)| x * y).sum::<f32>();
                let mut others: Vec<usize> = (0..n).filter(|&j| j != i).collect();
                others.sort_by(|&a, &b| dot(b).total_cmp(&dot(a)).then(a.cmp(&b)));
                let mut want: Vec<u32> = others.iter().take(3).map(|&j| j as u32).collect();
                want.sort_unstable();
                assert_eq!(got, &want, "{n} rows, row {i}");
            }
        }
    }

    #[test]
    fn identical_rows_collapse_into_one_node_in_content_order() {
        let mut rng = Rng::new(5);
        let distinct: Vec<SparseVec> = (0..6)
            .map(|i| {
                let mut v: SparseVec = (0..3 + i).map(|t| (t as u32 * 3 + i as u32, floats(&mut rng, 1)[0])).collect();
                v.sort_by_key(|e| e.0);
                v
            })
            .collect();
        // 0.0 and -0.0 weigh the same but are not the same bits: two nodes.
        let zeros = [vec![(1u32, 0.0f32)], vec![(1u32, -0.0f32)]];
        let picks = [0usize, 3, 0, 5, 1, 3, 0, 2, 4, 5];
        let mut rows: Vec<SparseVec> = picks.iter().map(|&p| distinct[p].clone()).collect();
        rows.extend(zeros.iter().cloned());
        let (uniq, mult, hashes, of_row) = collapse(&rows);
        assert_eq!(uniq.len(), 8);
        assert_eq!(mult.iter().sum::<f64>(), rows.len() as f64);
        for (i, x) in rows.iter().enumerate() {
            assert_eq!(bits_of(&uniq[of_row[i]]), bits_of(x));
            let copies = rows.iter().filter(|y| bits_of(y) == bits_of(x)).count();
            assert_eq!(mult[of_row[i]], copies as f64);
        }
        // Each node's hash is that of its contents, as a copied key hashes,
        // and nodes come in hash order whatever the order of the rows.
        for (u, h) in uniq.iter().zip(&hashes) {
            assert_eq!(*h, content_hash(&bits_of(u)));
        }
        assert!(hashes.windows(2).all(|w| w[0] <= w[1]));
        rows.reverse();
        assert_eq!(
            collapse(&rows).0.iter().map(bits_of).collect::<Vec<_>>(),
            uniq.iter().map(bits_of).collect::<Vec<_>>()
        );
    }

    fn bits_of(x: &SparseVec) -> Vec<(u32, u32)> {
        exact(x).collect()
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

    /// Links of `cliques` cliques of `size` nodes each (node `i` in clique
    /// `i / size`), and `bridges` links from each clique to the next.
    fn cliques(cliques: usize, size: usize, bridges: usize) -> Vec<Vec<(usize, f32)>> {
        let n = cliques * size;
        (0..n)
            .map(|i| {
                let c = i / size;
                let mut l: Vec<(usize, f32)> =
                    (c * size..(c + 1) * size).filter(|&j| j != i).map(|j| (j, 1.0)).collect();
                if i % size < bridges {
                    l.push((((c + 1) % cliques) * size + i % size, 1.0));
                }
                l
            })
            .collect()
    }

    #[test]
    fn modularity_is_newmans() {
        let nb = cliques(2, 6, 0);
        let mult = vec![1.0; 12];
        let by_clique: Vec<usize> = (0..12).map(|i| i / 6).collect();
        assert!((modularity(&nb, &mult, &by_clique) - 0.5).abs() < 1e-12);
        assert!(modularity(&nb, &mult, &[0; 12]).abs() < 1e-12);
    }

    #[test]
    fn a_community_of_clear_communities_is_split() {
        // Four cliques of ten, given as two communities of two cliques
        // each, the pairs linked by a few complaints.
        let nb = cliques(4, 10, 2);
        let mult = vec![1.0; 40];
        let given: Vec<usize> = (0..40).map(|i| i / 20).collect();
        let split = split_communities(&nb, &mult, given.clone(), 5, 0.3, 1.0);
        let mut found: Vec<usize> = split.clone();
        found.sort_unstable();
        found.dedup();
        assert_eq!(found.len(), 4, "{split:?}");
        assert!((0..40).all(|i| (0..40).all(|j| (split[i] == split[j]) == (i / 10 == j / 10))));
        // Above the structure's modularity, or with parts too small to
        // stand alone, nothing is split.
        assert_eq!(split_communities(&nb, &mult, given.clone(), 5, 0.9, 1.0), given);
        assert_eq!(split_communities(&nb, &mult, given.clone(), 11, 0.3, 1.0), given);
    }
}
