//! Criterion benches, one per pipeline stage, on a fixed corpus: the
//! banking77 complaints from `../shared/data/banking77.csv` (13,083 short
//! texts) when present, else a deterministic synthetic set of the same size.
//! Run with `cargo bench --bench pipeline`; a regression in one stage shows
//! up in its own line.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use painpoints::cluster::{cluster, ClusterParams};
use painpoints::normalize::normalize;
use painpoints::segment::{Piece, Segmenter};
use painpoints::vectorize::{Vocabulary, VocabularyParams};
use painpoints::{Control, ProblemModelParams};
use std::hint::black_box;
use std::path::Path;

/// First column of a RFC 4180 CSV (quoted fields may hold commas, quotes, newlines).
fn first_column(data: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut field, mut col, mut quoted, mut chars) = (String::new(), 0, false, data.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => {
                if col == 0 {
                    out.push(std::mem::take(&mut field));
                }
                field.clear();
                col += 1;
            }
            (false, '\n') => {
                if col == 0 {
                    out.push(std::mem::take(&mut field));
                }
                field.clear();
                col = 0;
            }
            (false, c) => field.push(c),
        }
    }
    out.into_iter().skip(1).collect()
}

fn corpus() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/banking77.csv");
    if let Ok(data) = std::fs::read_to_string(path) {
        return first_column(&data);
    }
    let words =
        ["card", "refund", "late", "transfer", "fee", "charged", "twice", "pending", "app", "pin", "blocked", "cash"];
    (0..13_083).map(|i| (0..8).map(|j| words[(i * 7 + j * 3) % words.len()]).collect::<Vec<_>>().join(" ")).collect()
}

fn stages(c: &mut Criterion) {
    let texts = corpus();
    let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
    let seg = Segmenter::english();
    let normalized: Vec<String> = texts.iter().map(|t| normalize(t)).collect();
    let vocab = Vocabulary::learn(&seg, &normalized, &VocabularyParams::default());
    let rows: Vec<_> = normalized.iter().map(|t| vocab.vectorize_normalized(&seg, t)).collect();
    let opt: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();

    let mut g = c.benchmark_group("stage");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("normalize", |b| b.iter(|| texts.iter().map(|t| normalize(black_box(t)).len()).sum::<usize>()));
    g.bench_function("segment", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &normalized {
                seg.for_each_piece(black_box(t), |p| n += matches!(p, Piece::Word { .. }) as usize);
            }
            n
        })
    });
    g.bench_function("vocabulary", |b| {
        b.iter(|| Vocabulary::learn(&seg, black_box(&normalized), &VocabularyParams::default()).len())
    });
    g.bench_function("vectorize", |b| {
        b.iter(|| normalized.iter().map(|t| vocab.vectorize_normalized(&seg, black_box(t)).len()).sum::<usize>())
    });
    g.bench_function("cluster", |b| {
        b.iter(|| {
            cluster(
                black_box(&rows),
                vocab.len(),
                &ClusterParams { initial: 150, min_size: 20, ..Default::default() },
                &Control::new(),
            )
            .map(|c| c.len())
        })
    });
    let params = ProblemModelParams::default();
    let fit = params.fit(&opt, &Control::new()).ok();
    g.bench_function("fit", |b| b.iter(|| params.fit(black_box(&opt), &Control::new()).map(|f| f.labels.len())));
    if let Some(fit) = fit {
        g.bench_function("predict", |b| {
            b.iter(|| fit.model.predict(black_box(&opt), &Control::new()).map(|l| l.len()))
        });
    }
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
