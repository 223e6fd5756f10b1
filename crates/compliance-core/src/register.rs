//! The national self-exclusion register: whether an entry lists a person.
//!
//! An exact e-mail, or the same date of birth and the same name, is a listing. The
//! same date of birth and a *close* name (another spelling, initials, a middle name
//! more or less, the names in another order) is a possible listing: not enough to
//! exclude someone, too much to let the simulated provider approve their KYC, so staff
//! review it. See docs/compliance.md.

use chrono::NaiveDate;
use kernel::{Refusal, Refused};

/// How strongly a register entry matches a person, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RegisterMatch {
    None,
    /// Same date of birth and a close name: for staff to review.
    Possible,
    /// Same e-mail, or same date of birth and name: the person is listed.
    Listed,
}

/// A person as the register or the platform knows them.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub email: &'a str,
    pub date_of_birth: NaiveDate,
    /// Unknown before the first KYC submission.
    pub full_name: Option<&'a str>,
}

/// How `entry` (a register entry, whose name is always known) matches `person`.
pub fn register_match(entry: &Person<'_>, person: &Person<'_>) -> RegisterMatch {
    if entry.email.eq_ignore_ascii_case(person.email) {
        return RegisterMatch::Listed;
    }
    if entry.date_of_birth != person.date_of_birth {
        return RegisterMatch::None;
    }
    match (entry.full_name, person.full_name) {
        (Some(a), Some(b)) => {
            let (a, b) = (tokens(a), tokens(b));
            if a == b {
                RegisterMatch::Listed
            } else if names_are_close(&a, &b) {
                RegisterMatch::Possible
            } else {
                RegisterMatch::None
            }
        }
        _ => RegisterMatch::None,
    }
}

/// The strongest match of any of `entries` for `person`.
pub fn strongest_match<'a>(entries: impl IntoIterator<Item = Person<'a>>, person: &Person<'_>) -> RegisterMatch {
    entries.into_iter().map(|e| register_match(&e, person)).max().unwrap_or(RegisterMatch::None)
}

/// A name's words, lower case; punctuation (hyphens, dots, apostrophes) separates words.
fn tokens(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_lowercase).collect()
}

/// Close names: the whole names within a small edit distance (spacing and punctuation
/// ignored), or every word of the shorter name matching a different word of the longer
/// one — exactly, by a small edit distance, or as an initial — with at least one of
/// them a whole word. So `G. Person`, `Person Gambler`, `Gambler Persson` and
/// `Gambler Middle Person` are all close to `Gambler Person`.
fn names_are_close(a: &[String], b: &[String]) -> bool {
    let (joined_a, joined_b) = (a.concat(), b.concat());
    if strsim::levenshtein(&joined_a, &joined_b)
        <= allowed_edits(joined_a.chars().count().min(joined_b.chars().count()), NAME_CHARS_PER_EDIT)
    {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return false;
    }
    let mut unused: Vec<&String> = long.iter().collect();
    let mut whole_word = false;
    for word in short {
        // A whole-word match first, so that an initial does not take the word it needs.
        let found = unused.iter().position(|w| words_are_close(word, w)).map(|i| (i, true)).or_else(|| {
            unused.iter().position(|w| is_initial_of(word, w) || is_initial_of(w, word)).map(|i| (i, false))
        });
        let Some((i, whole)) = found else { return false };
        whole_word |= whole;
        unused.remove(i);
    }
    whole_word
}

fn words_are_close(a: &str, b: &str) -> bool {
    a == b || strsim::levenshtein(a, b) <= allowed_edits(a.chars().count().min(b.chars().count()), WORD_CHARS_PER_EDIT)
}

/// Typos allowed in `len` characters: one per `per` characters, at most two; none in
/// short words or names, where one edit makes another name (`Li`, `Lu`).
fn allowed_edits(len: usize, per: usize) -> usize {
    (len / per).min(2)
}

/// Characters per allowed typo within a word, and over a whole name (whose words
/// alone may differ by less).
const WORD_CHARS_PER_EDIT: usize = 4;
const NAME_CHARS_PER_EDIT: usize = 6;

/// `initial` is one letter and begins `word` (which is longer).
fn is_initial_of(initial: &str, word: &str) -> bool {
    let mut chars = initial.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if word.chars().count() > 1 && word.starts_with(c))
}

/// A person the national register lists may not deposit or play, whatever their
/// account and settings say.
pub fn check_not_listed(listed: bool) -> Result<(), Refused> {
    if listed {
        return Err(Refused::new(
            Refusal::SelfExcluded,
            "the player is listed on the national self-exclusion register",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dob() -> NaiveDate {
        NaiveDate::from_ymd_opt(1980, 5, 5).unwrap()
    }

    const ENTRY: Person<'static> =
        Person { email: "listed@example.com", date_of_birth: NaiveDate::MIN, full_name: Some("Gambler Person") };

    fn entry() -> Person<'static> {
        Person { date_of_birth: dob(), ..ENTRY }
    }

    fn against(name: Option<&str>) -> RegisterMatch {
        register_match(&entry(), &Person { email: "someone@example.com", date_of_birth: dob(), full_name: name })
    }

    #[test]
    fn an_email_in_any_case_is_a_listing_whatever_the_rest() {
        let p = Person { email: "LISTED@example.com", date_of_birth: NaiveDate::MIN, full_name: None };
        assert_eq!(register_match(&entry(), &p), RegisterMatch::Listed);
    }

    #[test]
    fn the_birth_date_and_the_same_name_is_a_listing() {
        for name in ["Gambler Person", "  gambler   PERSON ", "Gambler-Person", "gambler.person"] {
            assert_eq!(against(Some(name)), RegisterMatch::Listed, "{name}");
        }
    }

    #[test]
    fn the_birth_date_and_a_close_name_is_for_review() {
        for name in [
            "Gambler Persson",       // one edit in a word
            "Gamblr Persn",          // one edit in each word
            "Gambler Personne",      // two edits over the whole name
            "GamblerPerson",         // spacing
            "Person Gambler",        // order
            "Person, Gambler",       // order and punctuation
            "G. Person",             // an initial
            "Gambler P",             // an initial for the surname
            "Gambler Middle Person", // a middle name more
            "Gambler",               // a name less
        ] {
            assert_eq!(against(Some(name)), RegisterMatch::Possible, "{name}");
        }
    }

    #[test]
    fn other_names_or_another_birth_date_do_not_match() {
        for name in ["Ada Lovelace", "G. P.", "Gert Parson", "Grace Hopper", "Person Persson", "Alan Gambini"] {
            assert_eq!(against(Some(name)), RegisterMatch::None, "{name}");
        }
        assert_eq!(against(None), RegisterMatch::None, "a birth date alone");
        let other_day =
            Person { email: "x@example.com", date_of_birth: NaiveDate::MIN, full_name: Some("Gambler Person") };
        assert_eq!(register_match(&entry(), &other_day), RegisterMatch::None);
    }

    #[test]
    fn short_words_need_the_exact_spelling() {
        let short = Person { full_name: Some("Li Wu"), ..entry() };
        let p = |n| Person { email: "x@example.com", date_of_birth: dob(), full_name: Some(n) };
        assert_eq!(register_match(&short, &p("Lu Wu")), RegisterMatch::None);
        assert_eq!(register_match(&short, &p("Wu Li")), RegisterMatch::Possible);
        assert_eq!(register_match(&short, &p("L. Wu")), RegisterMatch::Possible);
    }

    #[test]
    fn the_strongest_entry_wins() {
        let p = Person { email: "listed@example.com", date_of_birth: dob(), full_name: Some("G. Person") };
        let close = Person { email: "other@example.com", ..entry() };
        assert_eq!(strongest_match([close], &p), RegisterMatch::Possible);
        assert_eq!(strongest_match([close, entry()], &p), RegisterMatch::Listed);
        assert_eq!(strongest_match([], &p), RegisterMatch::None);
    }
}
