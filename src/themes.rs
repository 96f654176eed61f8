//! Themes: problems that belong together, one level up.
//!
//! Problems are deliberately specific ("hard inquiry", "identity theft",
//! "credit freeze"); an analyst often also wants the broader subject they
//! share ("credit reports"). A theme is a group of problems whose
//! complaints are more similar to each other than chance would make them.
//!
//! Themes are computed from the model alone (each problem's centre, size and
//! cohesion), so they follow every edit and need no training text: a
//! problem's complaints sum to `size · cohesion · centre`, and the total
//! similarity between the complaints of two problems is the dot product of
//! those sums. Problems are then merged greedily by their correlation beyond
//! the vocabulary every complaint shares ([`crate::cluster`]'s
//! agglomeration) for as long as the two closest themes are still more
//! similar than chance: the point where merging stops raising the
//! modularity of the complaint-similarity graph. No threshold is tuned.

use crate::cluster::{agglomerate, dot, Until};
use crate::vectorize::SparseVec;

/// Groups of problems, as indices into `centroids`, each group sorted and
/// the groups ordered by total size (largest first, ties by first member).
///
/// `centroids` are unit-length problem centres, `sizes` the number of
/// complaints of each problem, `cohesion` their mean similarity to their
/// centre. Problems with no complaints form themes of their own.
pub fn themes(centroids: &[SparseVec], sizes: &[usize], cohesion: &[f32]) -> Vec<Vec<usize>> {
    let k = centroids.len().min(sizes.len()).min(cohesion.len());
    let mass: Vec<f64> = (0..k).map(|a| sizes[a] as f64 * (cohesion[a].max(0.0) as f64)).collect();
    let live: Vec<usize> = (0..k).filter(|&a| mass[a] > 0.0).collect();
    let mut w = vec![vec![0.0f64; live.len()]; live.len()];
    for (i, &a) in live.iter().enumerate() {
        for (j, &b) in live.iter().enumerate().skip(i) {
            let v = mass[a] * mass[b] * dot(&centroids[a], &centroids[b]) as f64;
            w[i][j] = v;
            w[j][i] = v;
        }
    }
    let mut groups: Vec<Vec<usize>> = if live.len() > 1 {
        agglomerate(w, Until::NoExcess).into_iter().map(|g| g.into_iter().map(|i| live[i]).collect()).collect()
    } else {
        live.iter().map(|&a| vec![a]).collect()
    };
    groups.extend((0..k).filter(|&a| mass[a] <= 0.0).map(|a| vec![a]));
    let total = |g: &Vec<usize>| g.iter().map(|&a| sizes[a]).sum::<usize>();
    groups.sort_by(|x, y| total(y).cmp(&total(x)).then(x[0].cmp(&y[0])));
    groups
}

/// The surface forms of `(key, surface)` terms, best first, skipping a term
/// of the same word family as one already taken (one key a prefix of the
/// other: "verif" and "verifi", "custom" and "custom servic").
pub fn one_per_family<'a>(terms: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let mut families: Vec<&str> = Vec::new();
    let mut words = Vec::new();
    for (key, surface) in terms {
        if families.iter().any(|f| f.starts_with(key) || key.starts_with(f)) {
            continue;
        }
        families.push(key);
        words.push(surface.to_string());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::normalized;

    fn unit(v: &[(u32, f32)]) -> SparseVec {
        normalized(&v.to_vec())
    }

    #[test]
    fn related_problems_share_a_theme() {
        // Two credit-report problems share "credit report"; two delivery
        // problems share "parcel"; the pairs have nothing in common.
        let c = vec![
            unit(&[(0, 1.0), (1, 0.8)]), // credit report + inquiry
            unit(&[(0, 1.0), (2, 0.8)]), // credit report + identity theft
            unit(&[(3, 1.0), (4, 0.8)]), // parcel + late
            unit(&[(3, 1.0), (5, 0.8)]), // parcel + damaged
        ];
        let g = themes(&c, &[40, 30, 35, 20], &[0.6, 0.6, 0.6, 0.6]);
        assert_eq!(g, vec![vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn unrelated_problems_stay_apart() {
        let c = vec![unit(&[(0, 1.0)]), unit(&[(1, 1.0)]), unit(&[(2, 1.0)])];
        let g = themes(&c, &[10, 30, 20], &[0.5, 0.5, 0.5]);
        assert_eq!(g, vec![vec![1], vec![2], vec![0]]);
    }

    #[test]
    fn label_words_come_one_per_family() {
        let terms = [
            ("verifi", "verified"),
            ("verif", "verification"),
            ("account", "account"),
            ("custom", "customer"),
            ("custom servic", "customer service"),
            ("letter", "letter"),
        ];
        assert_eq!(one_per_family(terms.into_iter()), vec!["verified", "account", "customer", "letter"]);
    }

    #[test]
    fn empty_and_degenerate_inputs() {
        assert!(themes(&[], &[], &[]).is_empty());
        let c = vec![unit(&[(0, 1.0)])];
        assert_eq!(themes(&c, &[5], &[0.4]), vec![vec![0]]);
        // A problem left without complaints (e.g. after an edit) is its own theme.
        let c = vec![unit(&[(0, 1.0)]), unit(&[(0, 1.0), (1, 0.1)]), unit(&[(2, 1.0)])];
        let g = themes(&c, &[20, 0, 10], &[0.5, 0.0, 0.5]);
        assert_eq!(g.iter().map(Vec::len).sum::<usize>(), 3);
        assert!(g.contains(&vec![1]));
    }
}
