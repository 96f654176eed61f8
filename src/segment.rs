//! Stage 2: segmentation.
//!
//! Splits normalised text into words on UAX #29 word boundaries
//! (`unicode-segmentation`), drops stop words (NLTK's English list from the
//! `stop-words` crate) and masks, keeps negation by marking the next content
//! word ("not received" becomes the term `not_receiv`, which does not look
//! like `receiv`), and breaks runs of CJK ideographs, which have no spaces,
//! into overlapping character bigrams. Stemming uses the Snowball English
//! stemmer from `rust-stemmers`; [`Segmenter::key`] turns a word into the
//! term key the vocabulary counts.

use crate::normalize::is_mask;
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use unicode_segmentation::UnicodeSegmentation;

/// One piece of a segmented complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A content word (already case-folded), and whether a negation governs it.
    Word {
        /// The word as written (normalised).
        surface: &'a str,
        /// True if "not", "never", "didn't"... came just before it.
        negated: bool,
    },
    /// Punctuation or a mask: phrases do not span it.
    Break,
}

/// How a caller classifies a word (see [`Segmenter::walk`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<T> {
    /// A stop word: skipped.
    Stop,
    /// A negator: marks the next content word.
    Negator,
    /// A content word, with whatever the caller found for it.
    Content(Option<T>),
}

/// One step of [`Segmenter::walk`]: a [`Piece`] with the caller's lookup result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a, T> {
    /// A content word.
    Word {
        /// The word as written (normalised).
        surface: &'a str,
        /// True if a negation governs it.
        negated: bool,
        /// What the caller's lookup returned for it.
        hint: Option<T>,
    },
    /// Punctuation or a mask.
    Break,
}

/// Words that flip the meaning of the next content word.
const NEGATORS: &[&str] = &[
    "not", "no", "never", "nor", "cannot", "without", "none", "nothing", "dont", "didnt", "doesnt", "cant", "wont",
    "isnt", "wasnt", "arent", "werent", "havent", "hasnt", "hadnt", "couldnt", "wouldnt", "shouldnt", "aint",
];

/// Extra stop words frequent in complaints yet never a topic.
const EXTRA_STOP: &[&str] = &[
    "would",
    "could",
    "also",
    "get",
    "got",
    "us",
    "im",
    "ive",
    "id",
    "u",
    "ur",
    "pls",
    "please",
    "hi",
    "hello",
    "thanks",
    "thank",
    "amp",
    "rt",
    "via",
    "one",
    "still",
    "even",
    "really",
    "like",
    "just",
    "yet",
    "since",
    "ever",
    "may",
    "might",
    "must",
    "shall",
    "want",
    "need",
    // Time words: how long something took is not what it is about.
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "hour",
    "hours",
    "minute",
    "minutes",
    "today",
    "yesterday",
    "ago",
    "now",
    "already",
    "time",
    "times",
    // Interjections and chat filler say nothing about the problem.
    "oh",
    "ah",
    "uh",
    "um",
    "hmm",
    "hey",
    "yeah",
    "yes",
    "ok",
    "okay",
    "lol",
    "wow",
    "omg",
    "btw",
];

/// Endings a stop word can take after an apostrophe and stay a stop word.
const CLITICS: &[&str] = &["s", "m", "re", "ve", "d", "ll"];

/// Segments normalised text and stems words. Cheap to share across threads.
pub struct Segmenter {
    /// Stop words and negators in one table: one hash lookup per word.
    class: FxHashMap<String, WordClass>,
    stemmer: Stemmer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WordClass {
    Stop,
    Negator,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter").field("words", &self.class.len()).finish()
    }
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::english()
    }
}

fn is_negator(word: &str) -> bool {
    NEGATORS.contains(&word) || word.ends_with("n't")
}

fn is_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK ext A
        | 0x4E00..=0x9FFF // CJK unified
        | 0xF900..=0xFAFF // CJK compatibility
        | 0x20000..=0x2FFFF)
}

fn single_ideograph(s: &str) -> bool {
    let mut it = s.chars();
    matches!((it.next(), it.next()), (Some(c), None) if is_ideograph(c))
}

/// UAX #29 word segmentation restricted to ASCII text, several times faster
/// than the general tables. It yields the same segments as
/// `split_word_bound_indices` for words (letters, digits and `_`, joined
/// across `'`, `.` and `:` between letters and `.`, `,`, `;`, `'` between
/// digits); every other character is a segment of its own (a test checks the
/// agreement on word segments). Scoring uses the same scan fused with the
/// word checks ([`Segmenter::pieces_ascii`]); this iterator is the
/// reference that the fused walk is tested against.
#[cfg(test)]
struct AsciiWords<'a> {
    text: &'a str,
    pos: usize,
}

#[cfg(test)]
fn is_word_byte(b: u8) -> bool {
    BYTE_CLASS[b as usize] & WORD != 0
}

const WORD: u8 = 1;
const ALPHA: u8 = 2;
const DIGIT: u8 = 4;
const BREAK: u8 = 8;
/// `'`, `.`, `:`, `,`, `;`: may join the two sides into one word.
const JOIN: u8 = 16;

/// Classes of ASCII bytes (non-ASCII bytes have none).
const BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 128 {
        let b = c as u8;
        if b.is_ascii_alphabetic() {
            t[c] = WORD | ALPHA;
        } else if b.is_ascii_digit() {
            t[c] = WORD | DIGIT;
        } else if b == b'_' {
            t[c] = WORD;
        }
        c += 1;
    }
    t[b'\'' as usize] |= JOIN;
    t[b'.' as usize] |= JOIN;
    t[b':' as usize] |= JOIN;
    t[b',' as usize] |= JOIN;
    t[b';' as usize] |= JOIN;
    let mut i = 0;
    while i < BREAK_CHARS.len() {
        t[BREAK_CHARS[i] as usize] |= BREAK;
        i += 1;
    }
    t
};

/// End of the ASCII word segment that starts at `start` (a word byte).
#[inline]
fn ascii_word_end(bytes: &[u8], start: usize) -> usize {
    let class = |i: usize| bytes.get(i).map_or(0, |&b| BYTE_CLASS[b as usize]);
    let mut end = start + 1;
    while let Some(&b) = bytes.get(end) {
        let here = BYTE_CLASS[b as usize];
        if here & WORD != 0 {
            end += 1;
            continue;
        }
        if here & JOIN == 0 {
            break;
        }
        // Joins: `'`, `.`, `:` between letters; `'`, `.`, `,`, `;` between digits.
        let (prev, next) = (class(end - 1), class(end + 1));
        let letters = prev & next & ALPHA != 0 && matches!(b, b'\'' | b'.' | b':');
        let digits = prev & next & DIGIT != 0 && matches!(b, b'\'' | b'.' | b',' | b';');
        if letters || digits {
            end += 2;
        } else {
            break;
        }
    }
    end
}

#[cfg(test)]
impl<'a> Iterator for AsciiWords<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let first = *bytes.get(start)?;
        if !is_word_byte(first) {
            // Runs of spaces are one segment (WB3d); anything else stands alone.
            let mut end = start + 1;
            if first == b' ' {
                while bytes.get(end) == Some(&b' ') {
                    end += 1;
                }
            }
            self.pos = end;
            return self.text.get(start..end).map(|s| (start, s));
        }
        let end = ascii_word_end(bytes, start);
        self.pos = end;
        self.text.get(start..end).map(|s| (start, s))
    }
}

const BREAK_CHARS: &[char] = &['.', ',', ';', ':', '!', '?', '(', ')', '[', ']', '"', '\n', '|', '/'];

/// The caller's hint for `seg` if it is a content word; `None` for a stop
/// word or a negator ("not", "never", any unknown "...n't"), which sets
/// `negated` for the next content word.
#[inline]
fn content_hint<T>(seg: &str, classify: &impl Fn(&str) -> Lookup<T>, negated: &mut bool) -> Option<Option<T>> {
    match classify(seg) {
        Lookup::Negator => {
            *negated = true;
            None
        }
        Lookup::Stop => None,
        Lookup::Content(None) if seg.ends_with("n't") => {
            *negated = true;
            None
        }
        Lookup::Content(h) => Some(h),
    }
}

impl Segmenter {
    /// The shared English segmenter (built once per process).
    pub fn shared() -> &'static Segmenter {
        static SEG: std::sync::OnceLock<Segmenter> = std::sync::OnceLock::new();
        SEG.get_or_init(Segmenter::english)
    }

    /// English stop words and stemmer.
    pub fn english() -> Self {
        let mut stop: FxHashSet<String> = stop_words::get(stop_words::LANGUAGE::English)
            .into_iter()
            .map(|w| w.replace('\u{2019}', "'"))
            .filter(|w| !is_negator(w))
            .collect();
        stop.extend(EXTRA_STOP.iter().map(|w| w.to_string()));
        // A stop word with a clitic is one too: "i'm", "they've", "what's",
        // "we'd" (possessives of content words, "company's", are not).
        let clitics: Vec<String> = stop.iter().flat_map(|w| CLITICS.iter().map(move |c| format!("{w}'{c}"))).collect();
        stop.extend(clitics);
        let mut class: FxHashMap<String, WordClass> = stop.iter().map(|w| (w.clone(), WordClass::Stop)).collect();
        for n in NEGATORS {
            class.insert(n.to_string(), WordClass::Negator);
        }
        Segmenter { class, stemmer: Stemmer::create(Algorithm::English) }
    }

    /// True if `word` (case-folded) is a stop word.
    pub fn is_stop(&self, word: &str) -> bool {
        self.class.get(word) == Some(&WordClass::Stop)
    }

    /// The term key of a content word: its Snowball stem for Latin-script
    /// words, the word itself otherwise.
    pub fn key<'w>(&self, word: &'w str) -> Cow<'w, str> {
        if word.chars().all(|c| c.is_alphabetic() && (c as u32) < 0x250) {
            self.stemmer.stem(word)
        } else {
            Cow::Borrowed(word)
        }
    }

    /// Call `f` for every piece of `normalized`, in order.
    pub fn for_each_piece<'a>(&self, normalized: &'a str, mut f: impl FnMut(Piece<'a>)) {
        self.walk(
            normalized,
            |w| self.classify(w),
            |step: Step<'a, ()>| match step {
                Step::Word { surface, negated, .. } => f(Piece::Word { surface, negated }),
                Step::Break => f(Piece::Break),
            },
        );
    }

    /// How this segmenter itself classifies a word.
    pub fn classify(&self, word: &str) -> Lookup<()> {
        match self.class.get(word) {
            Some(WordClass::Stop) => Lookup::Stop,
            Some(WordClass::Negator) => Lookup::Negator,
            None => Lookup::Content(None),
        }
    }

    /// Stop words and negators, for callers that build one lookup table of
    /// their own (one hash lookup per word on the scoring path).
    pub fn word_classes(&self) -> impl Iterator<Item = (&str, Lookup<u32>)> {
        self.class.iter().map(|(w, c)| (w.as_str(), if *c == WordClass::Stop { Lookup::Stop } else { Lookup::Negator }))
    }

    /// Like [`Segmenter::for_each_piece`], with the word lookup done by
    /// `classify` (which must agree with [`Segmenter::classify`] on stop
    /// words and negators) and its result passed along with each word.
    pub fn walk<'a, T: Copy>(
        &self,
        normalized: &'a str,
        classify: impl Fn(&str) -> Lookup<T>,
        mut f: impl FnMut(Step<'a, T>),
    ) {
        if normalized.is_ascii() {
            Self::pieces_ascii(normalized, &classify, &mut f);
        } else {
            self.pieces_from(normalized, normalized.split_word_bound_indices(), &classify, &mut f);
        }
    }

    /// [`Segmenter::pieces_from`] over [`AsciiWords`], fused into one pass
    /// over the bytes of an ASCII text: spaces and other lone non-word bytes
    /// (which hold no letter or digit) only matter if they break a phrase.
    fn pieces_ascii<'a, T: Copy>(
        normalized: &'a str,
        classify: &impl Fn(&str) -> Lookup<T>,
        f: &mut impl FnMut(Step<'a, T>),
    ) {
        let bytes = normalized.as_bytes();
        let mut negated = false;
        let mut start = 0;
        while let Some(&first) = bytes.get(start) {
            let class = BYTE_CLASS[first as usize];
            if class & WORD == 0 {
                if class & BREAK != 0 {
                    f(Step::Break);
                    negated = false;
                }
                start += 1;
                continue;
            }
            let end = ascii_word_end(bytes, start);
            let Some(seg) = normalized.get(start..end) else { break };
            start = end;
            if first == b'_' {
                if seg.len() == 1 {
                    continue;
                }
                if is_mask(seg) {
                    f(Step::Break);
                    negated = false;
                    continue;
                }
            }
            let Some(hint) = content_hint(seg, classify, &mut negated) else { continue };
            if seg.len() < 2 || seg.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
                continue;
            }
            f(Step::Word { surface: seg, negated, hint });
            negated = false;
        }
    }

    fn pieces_from<'a, T: Copy>(
        &self,
        normalized: &'a str,
        segments: impl Iterator<Item = (usize, &'a str)>,
        classify: &impl Fn(&str) -> Lookup<T>,
        f: &mut impl FnMut(Step<'a, T>),
    ) {
        let mut negated = false;
        // Start (byte offset) and end of the current run of single ideographs.
        let mut run: Vec<(usize, usize)> = Vec::new();
        let flush_run = |run: &mut Vec<(usize, usize)>, f: &mut dyn FnMut(Step<'a, T>)| {
            if run.len() == 1 {
                let (s, e) = run[0];
                f(Step::Word { surface: &normalized[s..e], negated: false, hint: None });
            } else {
                for pair in run.windows(2) {
                    f(Step::Word { surface: &normalized[pair[0].0..pair[1].1], negated: false, hint: None });
                }
            }
            run.clear();
        };
        for (start, seg) in segments {
            if !seg.is_ascii() && single_ideograph(seg) {
                run.push((start, start + seg.len()));
                continue;
            }
            if !run.is_empty() {
                flush_run(&mut run, f);
            }
            let first = seg.as_bytes().first().copied().unwrap_or(b' ');
            let has_alnum = if first.is_ascii() {
                first.is_ascii_alphanumeric()
                    || (first == b'_' && seg.len() > 1)
                    || (seg.len() > 1 && seg.chars().any(char::is_alphanumeric))
            } else {
                seg.chars().any(char::is_alphanumeric)
            };
            if !has_alnum {
                let breaks =
                    if seg.len() == 1 { BREAK_CHARS.contains(&(first as char)) } else { seg.contains(BREAK_CHARS) };
                if breaks || is_mask(seg) {
                    f(Step::Break);
                    negated = false;
                }
                continue;
            }
            if first == b'_' && is_mask(seg) {
                f(Step::Break);
                negated = false;
                continue;
            }
            let Some(hint) = content_hint(seg, classify, &mut negated) else { continue };
            if seg.len() < 2 || seg.chars().nth(1).is_none() || seg.chars().all(|c| c.is_numeric() || c == '_') {
                continue;
            }
            f(Step::Word { surface: seg, negated, hint });
            negated = false;
        }
        if !run.is_empty() {
            flush_run(&mut run, f);
        }
    }

    /// Convenience for tests and small inputs: (key, surface) for every
    /// content word, negated words prefixed with `not_` / `not `.
    pub fn terms(&self, normalized: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        self.for_each_piece(normalized, |p| {
            if let Piece::Word { surface, negated } = p {
                let key = self.key(surface);
                if negated {
                    out.push((format!("not_{key}"), format!("not {surface}")));
                } else {
                    out.push((key.into_owned(), surface.to_string()));
                }
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    fn keys(s: &str) -> Vec<String> {
        Segmenter::english().terms(&normalize(s)).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn stop_words_dropped_and_stemmed() {
        assert_eq!(keys("I was charged for the deliveries"), vec!["charg", "deliveri"]);
    }

    #[test]
    fn stop_words_with_clitics_are_stop_words() {
        assert_eq!(keys("I'm sure they've charged me, what's this? We’d like it"), vec!["sure", "charg"]);
        // A content word's possessive stays.
        assert_eq!(keys("the company's fee"), vec!["company's", "fee"]);
    }

    #[test]
    fn interjections_are_stop_words() {
        assert_eq!(keys("Oh wow, hey, OK yeah the refund, lol"), vec!["refund"]);
    }

    #[test]
    fn negation_is_kept() {
        assert_eq!(keys("refund not received"), vec!["refund", "not_receiv"]);
        assert_eq!(keys("my card hasn't arrived"), vec!["card", "not_arriv"]);
        assert_eq!(keys("I didn’t get my money"), vec!["not_money"]);
        assert_ne!(keys("not received"), keys("received"));
    }

    #[test]
    fn negation_stops_at_punctuation() {
        assert_eq!(keys("no. refund arrived"), vec!["refund", "arriv"]);
    }

    #[test]
    fn masks_break_and_vanish() {
        let mut pieces = Vec::new();
        let text = normalize("order #123 late");
        Segmenter::english().for_each_piece(&text, |p| pieces.push(p));
        assert_eq!(
            pieces,
            vec![
                Piece::Word { surface: "order", negated: false },
                Piece::Break,
                Piece::Word { surface: "late", negated: false }
            ]
        );
    }

    #[test]
    fn cjk_bigrams() {
        assert_eq!(keys("退款没有收到"), vec!["退款", "款没", "没有", "有收", "收到"]);
        assert_eq!(keys("退"), vec!["退"]);
    }

    #[test]
    fn other_scripts_pass_through() {
        assert_eq!(keys("привет мир"), vec!["привет", "мир"]);
        assert!(keys("🙂🙂🙂").is_empty());
    }

    /// Short texts at the edges of word segmentation (quotes, separators
    /// between digits and letters, nothing at all), shared by the tests
    /// that compare the ASCII fast paths with the general ones.
    const EDGE_TEXTS: [&str; 10] = ["end.", "'", "a'", "'a", "1,", ",1", "a:1", "1:a", "...", ""];

    #[test]
    fn ascii_fast_path_agrees_with_uax29() {
        let samples = [
            "i can't log in: the app's pin e.g. u.s.a fails at 10:30, 1,000.50 twice!",
            "hello   world -- foo_bar baz'qux' 'quoted' a.b. x:y 3.14.15 a1b2 _x_ __",
            "order _id_ late; _money_ charged. (refund?) \"why\" [n/a] {x} a|b \t tab\nline",
        ];
        for text in samples.into_iter().chain(EDGE_TEXTS) {
            let ours: Vec<(usize, &str)> =
                AsciiWords { text, pos: 0 }.filter(|(_, w)| w.bytes().any(|b| b.is_ascii_alphanumeric())).collect();
            let uax: Vec<(usize, &str)> =
                text.split_word_bound_indices().filter(|(_, w)| w.bytes().any(|b| b.is_ascii_alphanumeric())).collect();
            assert_eq!(ours, uax, "text: {text:?}");
        }
    }

    #[test]
    fn fused_ascii_walk_agrees_with_segments() {
        let seg = Segmenter::english();
        let samples = [
            "i can't log in: the app's pin e.g. u.s.a fails at 10:30, 1,000.50 twice!",
            "hello   world -- foo_bar baz'qux' 'quoted' a.b. x:y 3.14.15 a1b2 _x_ __ _",
            "order _id_ late; _money_ charged. (refund?) \"why\" [n/a] {x} a|b \t tab\nline",
            "not  received, never   arrived _url_ not _num_ refund didn't come isn't 12 1a _1",
            " ",
            "_",
            "__",
            "a",
        ];
        for text in samples.into_iter().chain(EDGE_TEXTS) {
            let classify = |w: &str| seg.classify(w);
            let mut fused = Vec::new();
            Segmenter::pieces_ascii(text, &classify, &mut |s: Step<'_, ()>| fused.push(s));
            let mut generic = Vec::new();
            seg.pieces_from(text, AsciiWords { text, pos: 0 }, &classify, &mut |s: Step<'_, ()>| generic.push(s));
            assert_eq!(fused, generic, "text: {text:?}");
        }
    }

    #[test]
    fn surface_forms_kept() {
        let t = Segmenter::english().terms(&normalize("Deliveries delayed"));
        assert_eq!(t[0], ("deliveri".to_string(), "deliveries".to_string()));
    }
}
