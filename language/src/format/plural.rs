//! English plurals for `text.pluralize`: irregular nouns, nouns that do not change, and the
//! suffix rules (-s, -es, -ies, -ves, -a, -i). A table of rules, not a dictionary: rare words
//! may differ from Zapier's (which uses the Python `inflect` package).

/// Irregular singular → plural pairs.
const IRREGULAR: &[(&str, &str)] = &[
    ("child", "children"),
    ("person", "people"),
    ("man", "men"),
    ("woman", "women"),
    ("foot", "feet"),
    ("tooth", "teeth"),
    ("goose", "geese"),
    ("mouse", "mice"),
    ("louse", "lice"),
    ("ox", "oxen"),
    ("die", "dice"),
    ("cactus", "cacti"),
    ("focus", "foci"),
    ("fungus", "fungi"),
    ("nucleus", "nuclei"),
    ("radius", "radii"),
    ("stimulus", "stimuli"),
    ("syllabus", "syllabi"),
    ("analysis", "analyses"),
    ("basis", "bases"),
    ("crisis", "crises"),
    ("diagnosis", "diagnoses"),
    ("thesis", "theses"),
    ("phenomenon", "phenomena"),
    ("criterion", "criteria"),
    ("datum", "data"),
    ("medium", "media"),
    ("appendix", "appendices"),
    ("index", "indices"),
    ("matrix", "matrices"),
    ("vertex", "vertices"),
    ("quiz", "quizzes"),
    ("photo", "photos"),
    ("piano", "pianos"),
    ("halo", "halos"),
    ("video", "videos"),
    ("radio", "radios"),
    ("zoo", "zoos"),
    ("roof", "roofs"),
    ("chef", "chefs"),
    ("belief", "beliefs"),
    ("chief", "chiefs"),
];

/// Nouns whose plural is the same word.
const UNCHANGED: &[&str] = &[
    "sheep",
    "fish",
    "deer",
    "series",
    "species",
    "news",
    "information",
    "equipment",
    "rice",
    "money",
    "moose",
    "bison",
    "aircraft",
    "software",
    "hardware",
    "feedback",
    "data",
    "staff",
];

/// The plural of an English noun (the last word of the text), keeping its capitalisation.
pub(super) fn plural(s: &str) -> String {
    let trimmed = s.trim_end();
    if trimmed.is_empty() {
        return String::new();
    }
    let start = trimmed.rfind(|c: char| !c.is_alphabetic()).map_or(0, |i| {
        i + trimmed[i..].chars().next().map_or(1, char::len_utf8)
    });
    let (head, word) = trimmed.split_at(start);
    if word.is_empty() {
        return s.to_string();
    }
    let lower = word.to_lowercase();
    let p = plural_lower(&lower);
    format!("{head}{}{}", match_case(word, &p), &s[trimmed.len()..])
}

fn plural_lower(w: &str) -> String {
    if UNCHANGED.contains(&w) {
        return w.to_string();
    }
    if let Some((_, p)) = IRREGULAR.iter().find(|(s, _)| *s == w) {
        return p.to_string();
    }
    let ends = |x: &str| w.ends_with(x);
    let stem = |n: usize| &w[..w.len() - n];
    let consonant_before = |n: usize| stem(n).chars().last().is_some_and(|c| !"aeiou".contains(c));
    if ends("s") || ends("x") || ends("z") || ends("ch") || ends("sh") {
        format!("{w}es")
    } else if ends("y") && consonant_before(1) {
        format!("{}ies", stem(1))
    } else if ends("fe") {
        format!("{}ves", stem(2))
    } else if ends("lf") || ends("af") || ends("eaf") || ends("arf") {
        format!("{}ves", stem(1))
    } else if ends("o") && consonant_before(1) {
        format!("{w}es")
    } else {
        format!("{w}s")
    }
}

/// The plural written like the singular: all capitals, capitalised, or lower case.
fn match_case(word: &str, plural: &str) -> String {
    let letters: Vec<char> = word.chars().collect();
    if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
        plural.to_uppercase()
    } else if letters.first().is_some_and(|c| c.is_uppercase()) {
        let mut c = plural.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    } else {
        plural.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::plural;

    /// string.pluralize: "Pluralize any English word (frog turns into frogs; child turns into
    /// children)".
    #[test]
    fn english_plurals() {
        for (s, p) in [
            ("frog", "frogs"),
            ("child", "children"),
            ("Box", "Boxes"),
            ("city", "cities"),
            ("day", "days"),
            ("knife", "knives"),
            ("wolf", "wolves"),
            ("hero", "heroes"),
            ("photo", "photos"),
            ("sheep", "sheep"),
            ("CHURCH", "CHURCHES"),
            ("blue car", "blue cars"),
            ("", ""),
        ] {
            assert_eq!(plural(s), p, "{s}");
        }
    }
}
