//! Answers that hold no complaint.
//!
//! A survey's open question ("what could we do better?") collects, beside
//! the complaints, answers that say there is nothing to report: "n/a",
//! "nothing", "no comment", "none at this time", "all good, thanks",
//! "keep up the good work". Grouped like complaints they form problems of
//! their own ("no comment" can take the first slot) and shift every word's
//! rarity, so the real problems move too. [`says_nothing`] recognises
//! them; the model treats them as it treats blank rows: no problem, no
//! share, no part in the fit.
//!
//! The rule is deliberately narrow (a complaint taken for a non-answer is
//! lost from every count; a non-answer taken for a complaint only makes a
//! small group) and reads negation as the segmenter does. A short text
//! (at most 160 bytes and 8 content words) says nothing when:
//!
//! * each of its content words is a word that reports nothing ("n/a",
//!   "anything", "else", "sure"), a praise word not negated ("good",
//!   "great", "happy"), what praise is about ("service", "work") beside
//!   such a praise word, or a word for a complaint that is negated ("no
//!   complaints", "never had a problem", "can't complain");
//! * it says so: a null word ("no", "none", "nothing", "n/a", "not",
//!   "same"), praise, or such a negated complaint word ("everything"
//!   alone is a complaint);
//! * it asks, wishes and compares nothing: no "?", no "more", "less",
//!   "should", "could", "would", "better", "before", "once", "again",
//!   "until", "anymore", "used" ("staff could be more helpful", "it was
//!   great before", "all good until yesterday"), no "for nothing" or "no
//!   thanks to";
//! * it does not take its praise back: no negated "say", "think" or "call"
//!   ("wouldn't say great service"), no "not" at its end ("great service,
//!   not");
//! * it holds no amount, number, date, id, phone number or e-mail address
//!   ("not sure about the $35").
//!
//! A text with no words at all (punctuation, links, redaction marks,
//! emoji) says nothing too. "not good", "no response", "nothing works",
//! "great app but it crashes", "never again" and "service" all remain
//! complaints. English only, like the stop words.

use crate::normalize::{is_mask, normalize, MASKS};
use crate::segment::{Piece, Segmenter};
use rustc_hash::FxHashSet;
use std::sync::OnceLock;

/// Longer answers are read as complaints without looking (a non-answer
/// fits in a line; this also keeps the check off long texts' hot path).
const MAX_BYTES: usize = 160;

/// At most this many content words in a non-answer.
const MAX_WORDS: usize = 8;

/// Words that say there is nothing, or thank (stop words and negators
/// among them: "thanks", "none", "same as above").
#[rustfmt::skip]
const NULL: &[&str] = &[
    "no", "none", "nothing", "nope", "nah", "nil", "nada", "na", "n/a", "n", "not", "same", "idk", "dunno", "don't",
    "dont", "thanks", "thank", "thx", "cheers",
    // Missing cells written out as text (`astype(str)`: "nan", "NaT"; "null").
    "nan", "nat", "null",
];

/// Words that ask for more or compare with before: what holds them is a
/// complaint ("could be more helpful", "it was great before").
/// (And words that say it changed: "all good until yesterday", "used to be
/// great", "not great anymore".)
const WISHES: &[&str] = &[
    "more", "less", "should", "could", "would", "better", "before", "once", "again", "until", "till", "anymore",
    "used", "except",
];

/// Words that, negated, take praise back ("wouldn't say great service",
/// "can't call it good").
const HEDGES: &[&str] = &["say", "think", "call"];

/// Words that report nothing, negated or not ("not sure", "don't know",
/// "nothing comes to mind", "n/a").
#[rustfmt::skip]
const NOTHING: &[&str] = &[
    "n", "na", "n.a", "nil", "nada", "nope", "nah", "null", "nan", "nat", "applicable", "anything", "everything", "else", "add",
    "say", "mention", "comment", "comments", "sure", "know", "idk", "dunno", "idea", "think", "come", "comes",
    "mind", "moment", "present", "far", "needed", "needs", "thats", "thx", "cheers",
];

/// Praise: says nothing when not negated ("not good" is a complaint).
#[rustfmt::skip]
const PRAISE: &[&str] = &[
    "good", "great", "fine", "excellent", "perfect", "happy", "satisfied", "pleased", "amazing", "awesome",
    "wonderful", "nice", "love", "loved", "best", "fantastic", "brilliant", "helpful", "friendly", "easy", "keep",
    "smooth", "outstanding", "superb", "efficient", "professional", "polite", "prompt",
];

/// What praise is about: says nothing only beside a praise word ("great
/// service"; "service" alone or "no service" is a complaint).
#[rustfmt::skip]
const PRAISED: &[&str] = &[
    "service", "services", "customer", "staff", "team", "support", "job", "work", "experience", "product",
    "products", "app", "use", "guys", "everyone", "people", "company",
];

/// A complaint named only to say there is none ("no complaints", "never
/// had a problem", "can't complain"): says nothing when negated. (Not
/// "change", "add" or "report": "can't change anything", "never got a
/// report" are complaints.)
#[rustfmt::skip]
const NONE_OF: &[&str] = &[
    "complaint", "complaints", "complain", "issue", "issues", "problem", "problems", "concern", "concerns",
    "suggestion", "suggestions",
];

struct Lexicon {
    null: FxHashSet<&'static str>,
    wishes: FxHashSet<&'static str>,
    nothing: FxHashSet<&'static str>,
    praise: FxHashSet<&'static str>,
    praised: FxHashSet<&'static str>,
    none_of: FxHashSet<&'static str>,
    /// Every word a non-answer can hold: stop words, negators and the
    /// words above (one lookup per word for [`at_a_glance`]).
    known: FxHashSet<&'static str>,
}

fn lexicon() -> &'static Lexicon {
    static LEX: OnceLock<Lexicon> = OnceLock::new();
    LEX.get_or_init(|| {
        let lists = [NOTHING, PRAISE, PRAISED, NONE_OF];
        let known = Segmenter::shared()
            .word_classes()
            .map(|(w, _)| w)
            .chain(lists.iter().flat_map(|l| l.iter().copied()))
            .collect();
        Lexicon {
            null: NULL.iter().copied().collect(),
            wishes: WISHES.iter().copied().collect(),
            nothing: NOTHING.iter().copied().collect(),
            praise: PRAISE.iter().copied().collect(),
            praised: PRAISED.iter().copied().collect(),
            none_of: NONE_OF.iter().copied().collect(),
            known,
        }
    })
}

/// [`says_nothing`] of a row that may be missing (a missing row says nothing).
pub fn row_says_nothing(text: Option<&str>) -> bool {
    text.map_or(true, says_nothing)
}

/// True when `text` holds no complaint: blank, no words at all, or a
/// non-answer as the module docs describe. Takes the text as written (it
/// is normalised here).
pub fn says_nothing(text: &str) -> bool {
    at_a_glance(text).unwrap_or_else(|| says_nothing_normalized(&normalize(text)))
}

/// [`says_nothing`] when a glance at `text` decides it, before it is
/// normalised: blank (yes), too long for a non-answer (no), or holding a
/// plain word that is neither a stop word nor one of the words above (no:
/// "my *card* was declined"; most complaints end here, at their first
/// such word). `None` when its words must be read.
pub fn at_a_glance(text: &str) -> Option<bool> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Some(true);
    }
    if trimmed.len() > MAX_BYTES {
        return Some(false);
    }
    if trimmed.contains(['<', '&']) {
        return None; // markup and entities: the words are known once normalised
    }
    let lex = lexicon();
    let mut buf = [0u8; 24];
    for chunk in trimmed.split_ascii_whitespace() {
        let core = chunk.trim_matches(|c: char| matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '(' | ')' | '"'));
        // Only a run of ASCII letters is surely one word after
        // normalising; "XX" runs are redaction marks, masked; the
        // segmenter skips single letters.
        if core.len() < 2
            || core.len() > buf.len()
            || !core.bytes().all(|b| b.is_ascii_alphabetic())
            || core.contains("XX")
        {
            continue;
        }
        let word = &mut buf[..core.len()];
        word.copy_from_slice(core.as_bytes());
        word.make_ascii_lowercase();
        let Ok(word) = std::str::from_utf8(word) else { continue };
        if !lex.known.contains(word) {
            return Some(false);
        }
    }
    None
}

/// [`says_nothing`] for a text [`at_a_glance`] leaves open, already
/// normalised (so a caller that normalises it anyway does it once).
pub fn says_nothing_normalized(normalized: &str) -> bool {
    // An amount, a number or an id says something ("why did I only get
    // 20.00") that the pipeline cannot read: a complaint without a problem.
    // ("Great, thanks for nothing", "no thanks to you": sarcasm.)
    if MASKS.iter().any(|m| !SAY_NOTHING_MASKS.contains(m) && normalized.contains(m))
        || normalized.contains('?')
        || normalized.contains("for nothing")
        || normalized.contains("no thanks to")
    {
        return false;
    }
    let lex = lexicon();
    let (mut tokens, mut null, mut last) = (0usize, false, "");
    let plain = normalized.split(|c: char| !(c.is_alphanumeric() || matches!(c, '\'' | '/' | '_')));
    for token in plain.filter(|t| !t.is_empty() && !is_mask(t)) {
        tokens += 1;
        null |= lex.null.contains(token);
        if lex.wishes.contains(token) {
            return false;
        }
        last = token;
    }
    let (mut words, mut praise, mut praised, mut declined, mut other) = (0usize, false, false, false, false);
    // Praise right after a negated "say", "think" or "call" ("wouldn't say
    // great"), not after its object ("can't think of anything, all good").
    let (mut hedged, mut after_hedge) = (false, false);
    Segmenter::shared().for_each_piece(normalized, |piece| {
        let Piece::Word { surface, negated } = piece else {
            after_hedge = false;
            return;
        };
        words += 1;
        hedged |= after_hedge && lex.praise.contains(surface);
        after_hedge = negated && HEDGES.contains(&surface);
        if lex.nothing.contains(surface) {
        } else if lex.praise.contains(surface) && !negated {
            praise = true;
        } else if lex.praised.contains(surface) && !negated {
            praised = true;
        } else if lex.none_of.contains(surface) && negated {
            declined = true;
        } else {
            other = true;
        }
    });
    if words == 0 {
        // Only stop words, negators and marks: "no", "same as above", a
        // link, an emoji; but not "never again" or "down".
        return tokens == 0 || null;
    }
    // Praise taken back ("wouldn't say great service") or with a trailing
    // "not" ("great service, not") is a complaint.
    if praise && (hedged || (tokens > 1 && last == "not")) {
        return false;
    }
    !other && words <= MAX_WORDS && (praise || !praised) && (null || praise || declined)
}

/// The masks that stand for nothing said (a link alone, redaction marks);
/// every other one of [`MASKS`] (an amount, a number, a date, an id...)
/// stands for something.
const SAY_NOTHING_MASKS: &[&str] = &["_url_", "_redacted_"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_answers_say_nothing() {
        for t in [
            "",
            "   \n",
            "n/a",
            "N/A",
            "NA",
            "nan",
            "NaN",
            "NaT",
            "null",
            "<NA>",
            "none",
            "None at this time.",
            "nothing",
            "Nothing really",
            "Nothing, all good",
            "nothing to add",
            "Nothing comes to mind",
            "no",
            "No.",
            "no comment",
            "No complaints",
            "I have no complaints at all",
            "never had a problem",
            "Can't complain!",
            "no issues, great service",
            "all good thanks",
            "Everything is fine",
            "Keep up the good work!",
            "great",
            "very satisfied",
            "love the app",
            "Thanks",
            "Thank you!",
            "thx",
            "cheers!",
            "No, thank you",
            "Can't think of anything, keep up the good work",
            "Nothing to say, great service",
            "Nothing I can think of, the service was excellent",
            "No I don't think so, excellent service",
            "i cant think of anything its great",
            "N.A.",
            "Great customer service",
            "not sure",
            "don't know",
            "same as above",
            "-",
            "...",
            "XXXX",
            "https://t.co/abc",
        ] {
            assert!(says_nothing(t), "{t:?} says nothing");
        }
    }

    #[test]
    fn complaints_that_look_like_non_answers_are_complaints() {
        for t in [
            "not good",
            "Not happy at all",
            "nothing good to say",
            "no response",
            "no refund yet",
            "nothing works",
            "service",
            "no service",
            "bad service",
            "great app but it crashes",
            "complaints department never answered",
            "too many issues",
            "problems with my card",
            "refund",
            "Is there a fee?",
            "No answer",
            "Still no answer",
            "Never again",
            "Down again",
            "Down",
            "Always down",
            "Currently down",
            "Off again",
            "Not again",
            "Why?",
            "Staff could be more helpful",
            "Customer service could be more helpful",
            "Be more polite",
            "More friendly staff",
            "Would love more staff",
            "Should be easy",
            "It was great before",
            "Was good once",
            "Where is the good service?",
            "Can't change anything",
            "Never got a report",
            "What's the point?",
            "Everything",
            "Not well",
            "Nan never got her refund",
            "null pointer error on checkout",
            "not sure about the $35",
            "Great, thanks for nothing",
            "no complaints 20 dollars",
            "slow service",
            "improve the app",
            "fast charging broke",
            "How fast will it be?",
            "quick question",
            "customer service",
            "credit report",
            "why did i only get 20.00",
            "Why do you need to know so much about me",
            "good luck getting your money back",
            "I want my money back, nothing else",
            "wouldn't say great service",
            "can't say great service",
            "I would not say great service",
            "all good until yesterday",
            "everything was great until now",
            "used to be great",
            "not great anymore",
            "great service, not",
            "excellent work not",
            "no thanks to you",
        ] {
            assert!(!says_nothing(t), "{t:?} is a complaint");
        }
    }

    #[test]
    fn a_glance_decides_as_reading_the_words_would() {
        let texts = [
            "my card was declined",
            "Nothing, all good",
            "XXXX XXXX",
            "no comment XXXX",
            "<b>Great</b> service",
            "&quot;nothing&quot;",
            "don\u{2019}t know",
            "DON'T KNOW",
            "e-mail me",
            "Keep up the GOOD work!!!",
            "N/A - thanks",
            "www.example.com",
            "no issues (none)",
            "\"fine\"",
            "very very very good",
            "caf\u{e9} was cold",
            "no comment x",
            "<font face=\"Times New Roman\">N/A</font>",
            "no complaints 20 dollars",
            "great, 5 bucks",
        ];
        for t in texts {
            if let Some(v) = at_a_glance(t) {
                assert_eq!(v, says_nothing_normalized(&normalize(t)), "{t:?}");
            }
        }
        assert_eq!(at_a_glance("my card was declined"), Some(false));
        assert_eq!(at_a_glance("no comment"), None);
    }

    #[test]
    fn long_texts_are_complaints_without_looking() {
        let long = "no complaints ".repeat(20);
        assert!(long.len() > MAX_BYTES);
        assert!(!says_nothing(&long));
        assert!(!says_nothing("good good good good good good good good good"));
    }
}
