//! Placing notes in the book: reading order, chapter page names, and the map of links between notes.

use crate::model::Note;
use crate::render::markdown::LinkMap;
use crate::slug::{UniqueIds, slugify};
use std::cmp::Ordering;

/// Reading order: front matter `order` first (ascending), then date (oldest first), then file path.
pub fn reading_order(a: &Note, b: &Note) -> Ordering {
    let order = |n: &Note| n.meta.order.map_or((1, 0), |o| (0, o));
    let date = |n: &Note| n.meta.date.clone().map_or((1, String::new()), |d| (0, d));
    order(a)
        .cmp(&order(b))
        .then_with(|| date(a).cmp(&date(b)))
        .then_with(|| a.rel_path.cmp(&b.rel_path))
}

/// Page names for notes in reading order: the path without extension, slugified, unique.
pub fn chapter_slugs(notes: &[Note]) -> Vec<String> {
    slugs_of(notes.iter().map(|n| n.rel_path.as_str()))
}

fn slugs_of<'a>(rel_paths: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut ids = UniqueIds::default();
    rel_paths
        .map(|path| {
            let stem = path.rsplit_once('.').map_or(path, |(stem, _)| stem);
            ids.unique(&slugify(stem))
        })
        .collect()
}

/// The pages that the notes at `rel_paths` will most likely get, before the notes are read
/// through and put in order (two notes whose names make the same slug may swap pages).
pub fn likely_chapter_pages<'a>(rel_paths: impl Iterator<Item = &'a str>) -> Vec<String> {
    slugs_of(rel_paths)
        .into_iter()
        .map(|slug| format!("chapters/{slug}.html"))
        .collect()
}

/// Folder of the output where files from the notes folder (images...) are copied.
pub const FILES_DIR: &str = "files";

/// Local links from a chapter page: every note path maps to `<slug>.html`, every asset to
/// `../files/<path>` (chapter pages live in `chapters/`).
pub fn link_map<'a>(
    notes: &[Note],
    slugs: &[String],
    assets: impl Iterator<Item = &'a str>,
) -> LinkMap {
    let mut map: LinkMap = notes
        .iter()
        .zip(slugs)
        .map(|(n, s)| (n.rel_path.clone(), format!("{s}.html")))
        .collect();
    for asset in assets {
        map.insert(asset.to_string(), format!("../{FILES_DIR}/{asset}"));
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Meta;

    fn note(path: &str, order: Option<i64>, date: Option<&str>) -> Note {
        Note {
            rel_path: path.into(),
            display_path: path.into(),
            meta: Meta {
                order,
                date: date.map(Into::into),
                ..Meta::default()
            },
            body: String::new(),
            body_line: 1,
            source_body: String::new(),
        }
    }

    #[test]
    fn order_then_date_then_name() {
        let mut notes = [
            note("c.md", None, None),
            note("b.md", None, Some("2023-01-01")),
            note("a.md", None, None),
            note("z.md", Some(1), None),
            note("y.md", None, Some("2022-05-01")),
        ];
        notes.sort_by(reading_order);
        let paths: Vec<_> = notes.iter().map(|n| n.rel_path.as_str()).collect();
        assert_eq!(paths, ["z.md", "y.md", "b.md", "a.md", "c.md"]);
    }

    #[test]
    fn slugs_are_unique_and_keep_chinese() {
        let notes = vec![
            note("k8s/01 存储.md", None, None),
            note("a.md", None, None),
            note("a.txt", None, None),
        ];
        assert_eq!(chapter_slugs(&notes), ["k8s-01-存储", "a", "a-1"]);
    }
}
