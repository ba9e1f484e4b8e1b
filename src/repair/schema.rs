//! The Kubernetes and Compose field trees (generated from the real schemas) and the lookups on them.
//!
//! The data files under `schema/` are written by `src/bin/gen-schema.rs` (see its header for the
//! regeneration command): `k8s.json` is generated from the k8s-openapi schema, `compose.json` from the
//! Compose Specification. Each maps a type to its fields and each field to the shapes it may take.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::LazyLock;

use serde::Deserialize;

/// A type of the field tree (an index into the loaded schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(u32);

/// One form a field's value may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Scalar,
    /// A sequence of scalars.
    Array,
    /// A sequence of objects of a type.
    ArrayOf(TypeId),
    Object(TypeId),
    /// A free-form map (labels, annotations, data, matchLabels, ...).
    Map,
    /// A map with free-form keys whose values are objects of a type (Compose `services`).
    MapOf(TypeId),
    /// Anything (embedded JSON, raw extensions).
    Any,
}

/// What the schema says about one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub shapes: Vec<Shape>,
}

impl Field {
    /// The object type of the field's value, when it may be an object.
    pub fn object_type(&self) -> Option<TypeId> {
        self.shapes.iter().find_map(|s| match s {
            Shape::Object(t) => Some(*t),
            _ => None,
        })
    }

    /// The type of the field's sequence items, when they are objects.
    pub fn item_type(&self) -> Option<TypeId> {
        self.shapes.iter().find_map(|s| match s {
            Shape::ArrayOf(t) => Some(*t),
            _ => None,
        })
    }

    /// The type of the values of a map with free-form keys.
    pub fn map_value_type(&self) -> Option<TypeId> {
        self.shapes.iter().find_map(|s| match s {
            Shape::MapOf(t) => Some(*t),
            _ => None,
        })
    }

    /// A free-form map of scalars: its keys are never checked.
    pub fn is_free_map(&self) -> bool {
        self.shapes.contains(&Shape::Map)
    }

    /// Anything goes (embedded JSON, raw extensions).
    pub fn is_any(&self) -> bool {
        self.shapes.contains(&Shape::Any)
    }

    /// Whether the value may be a scalar.
    pub fn allows_scalar(&self) -> bool {
        self.shapes.contains(&Shape::Scalar)
    }

    /// Whether the value may be a sequence.
    pub fn allows_sequence(&self) -> bool {
        self.shapes
            .iter()
            .any(|s| matches!(s, Shape::Array | Shape::ArrayOf(_) | Shape::Any))
    }

    /// Whether the value may be a block mapping.
    pub fn allows_mapping(&self) -> bool {
        self.shapes.iter().any(|s| {
            matches!(
                s,
                Shape::Object(_) | Shape::Map | Shape::MapOf(_) | Shape::Any
            )
        })
    }
}

/// Which tree a type belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Kubernetes,
    Compose,
}

struct TypeDef {
    name: String,
    family: Family,
    fields: HashMap<String, Field>,
    /// Field names in order, for listing and suggestions.
    names: Vec<String>,
    /// Fields named `x-...` are allowed (Compose extensions).
    extensible: bool,
}

/// Both field trees, with indexes for lookups by kind and by field name.
pub struct Schema {
    types: Vec<TypeDef>,
    kinds: HashMap<String, TypeId>,
    generic_root: Option<TypeId>,
    compose_root: Option<TypeId>,
    by_field: HashMap<String, Vec<TypeId>>,
    words: HashSet<String>,
    /// How many words start, and how many end, with each pair of letters.
    word_starts: HashMap<String, u32>,
    word_ends: HashMap<String, u32>,
}

/// The data file format: root types by kind, fields by type, shapes joined by `|`.
#[derive(Deserialize)]
struct RawTree {
    roots: HashMap<String, String>,
    types: HashMap<String, HashMap<String, String>>,
}

static K8S_JSON: &str = include_str!("schema/k8s.json");
static COMPOSE_JSON: &str = include_str!("schema/compose.json");

static SCHEMA: LazyLock<Schema> = LazyLock::new(Schema::load);

/// The loaded schema (parsed once).
pub fn schema() -> &'static Schema {
    &SCHEMA
}

/// Resource names a Kubernetes resource list (`requests`, `limits`, `capacity`) is keyed by:
/// the core/v1 `ResourceName` constants.
const RESOURCE_NAMES: &[&str] = &["cpu", "memory", "storage", "ephemeral-storage", "pods"];

impl Schema {
    /// Parses both data files and builds the indexes.
    fn load() -> Schema {
        let mut schema = Schema {
            types: Vec::new(),
            kinds: HashMap::default(),
            generic_root: None,
            compose_root: None,
            by_field: HashMap::default(),
            words: HashSet::default(),
            word_starts: HashMap::default(),
            word_ends: HashMap::default(),
        };
        let k8s: RawTree = serde_json::from_str(K8S_JSON).unwrap_or_else(|_| RawTree::empty());
        let compose: RawTree =
            serde_json::from_str(COMPOSE_JSON).unwrap_or_else(|_| RawTree::empty());
        schema.add_tree(&k8s, Family::Kubernetes);
        schema.add_tree(&compose, Family::Compose);
        schema.index_fields();
        schema
    }

    /// Adds one tree's types (ids continue after the types already loaded) and roots.
    fn add_tree(&mut self, tree: &RawTree, family: Family) {
        let base = self.types.len();
        let mut names: Vec<&String> = tree.types.keys().collect();
        names.sort();
        let ids: HashMap<&str, TypeId> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), TypeId((base + i) as u32)))
            .collect();
        for name in &names {
            let raw = &tree.types[*name];
            let mut field_names: Vec<String> = raw.keys().cloned().collect();
            field_names.sort();
            let fields = raw
                .iter()
                .map(|(f, shape)| (f.clone(), parse_field(shape, &ids)))
                .collect();
            self.types.push(TypeDef {
                name: (*name).clone(),
                family,
                extensible: raw.contains_key("x-*"),
                names: field_names.into_iter().filter(|f| f != "x-*").collect(),
                fields,
            });
        }
        for (kind, type_name) in &tree.roots {
            let Some(id) = ids.get(type_name.as_str()).copied() else {
                continue;
            };
            match (family, kind.as_str()) {
                (Family::Compose, _) => self.compose_root = Some(id),
                (Family::Kubernetes, "*") => self.generic_root = Some(id),
                (Family::Kubernetes, _) => {
                    self.kinds.insert(kind.clone(), id);
                }
            }
        }
    }

    /// Indexes every field name (and the words in it) by the types that have it.
    fn index_fields(&mut self) {
        for (i, def) in self.types.iter().enumerate() {
            for name in &def.names {
                self.by_field
                    .entry(name.clone())
                    .or_default()
                    .push(TypeId(i as u32));
                for word in split_words(name) {
                    if word.len() >= 2 {
                        self.words.insert(word);
                    }
                }
            }
        }
        for word in &self.words {
            let letters: Vec<char> = word.chars().collect();
            if letters.len() >= 3 && letters.iter().all(char::is_ascii_lowercase) {
                let start: String = letters[..2].iter().collect();
                let end: String = letters[letters.len() - 2..].iter().collect();
                *self.word_starts.entry(start).or_default() += 1;
                *self.word_ends.entry(end).or_default() += 1;
            }
        }
    }

    /// How usual a word boundary is between a text ending in `before` and one starting with
    /// `after` (lower-case letters), judged by how many words of the schema end with the last two
    /// letters of `before` and start with the first two of `after`: `password|web` is more usual
    /// than `pa|sswordweb`. Zero when either side has fewer than two letters.
    pub fn boundary_usualness(&self, before: &str, after: &str) -> u32 {
        let end: Vec<char> = before.chars().rev().take(2).collect();
        let start: String = after.chars().take(2).collect();
        if end.len() < 2 || start.chars().count() < 2 {
            return 0;
        }
        let end: String = end.into_iter().rev().collect();
        let ends = self
            .word_ends
            .get(&end.to_lowercase())
            .copied()
            .unwrap_or(0);
        let starts = self
            .word_starts
            .get(&start.to_lowercase())
            .copied()
            .unwrap_or(0);
        // Both sides count: the product of the two (each at least one) on a log scale.
        (((ends + 1) as f64 * (starts + 1) as f64).ln() * 10.0) as u32
    }

    /// The root type of a Kubernetes resource kind (`Deployment` -> its type).
    pub fn root_for_kind(&self, kind: &str) -> Option<TypeId> {
        self.kinds.get(kind).copied()
    }

    /// The root type of a resource of unknown kind: the fields every resource has.
    pub fn generic_root(&self) -> Option<TypeId> {
        self.generic_root
    }

    /// The root type of a Compose file.
    pub fn compose_root(&self) -> Option<TypeId> {
        self.compose_root
    }

    /// All known kinds, for splitting a kind glued to the next key.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// What the schema says about `key` in type `ty`.
    pub fn field(&self, ty: TypeId, key: &str) -> Option<&Field> {
        let def = self.types.get(ty.0 as usize)?;
        def.fields.get(key).or_else(|| {
            (def.extensible && key.starts_with("x-"))
                .then(|| def.fields.get("x-*"))
                .flatten()
        })
    }

    /// Whether `key` is a field of `ty`.
    pub fn has_field(&self, ty: TypeId, key: &str) -> bool {
        self.field(ty, key).is_some()
    }

    /// The field names of a type, sorted.
    pub fn fields(&self, ty: TypeId) -> &[String] {
        self.types
            .get(ty.0 as usize)
            .map(|d| d.names.as_slice())
            .unwrap_or(&[])
    }

    /// A type's name for messages (`Container`, `LabelSelector`; a group suffix is dropped).
    pub fn type_name(&self, ty: TypeId) -> &str {
        let name = self
            .types
            .get(ty.0 as usize)
            .map(|d| d.name.as_str())
            .unwrap_or("");
        name.split('@').next().unwrap_or(name)
    }

    /// Which tree a type belongs to.
    pub fn family(&self, ty: TypeId) -> Family {
        self.types
            .get(ty.0 as usize)
            .map(|d| d.family)
            .unwrap_or(Family::Kubernetes)
    }

    /// Every type that has a field named `key`.
    pub fn types_with_field(&self, key: &str) -> &[TypeId] {
        self.by_field.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether `key` is a field of any type.
    pub fn is_field_name(&self, key: &str) -> bool {
        self.by_field.contains_key(key)
    }

    /// Whether `word` (lower case) is a word of some field name (`pod`, `metrics`, `endpoints`).
    pub fn is_word(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    /// Whether `key` is a well-known key of a resource list map (`cpu`, `memory`, `hugepages-2Mi`).
    pub fn is_resource_name(&self, key: &str) -> bool {
        RESOURCE_NAMES.contains(&key) || key.starts_with("hugepages-")
    }

    /// Which of the open types (innermost last) have the field `key`: their indexes, innermost first.
    pub fn open_types_with_field(&self, open: &[TypeId], key: &str) -> Vec<usize> {
        (0..open.len())
            .rev()
            .filter(|&i| self.has_field(open[i], key))
            .collect()
    }

    /// The field of `ty` that `key` most likely misspells: same name in another case, or a close
    /// edit distance (transpositions count once).
    pub fn suggest(&self, ty: TypeId, key: &str) -> Option<&str> {
        let lower = key.to_lowercase();
        let mut best: Option<(usize, &str)> = None;
        for name in self.fields(ty) {
            let distance = if name.to_lowercase() == lower {
                0
            } else {
                edit_distance(key, name)
            };
            let limit = if key.chars().count() >= 8 { 2 } else { 1 };
            if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, name.as_str()));
            }
        }
        best.map(|(_, name)| name)
    }
}

impl RawTree {
    fn empty() -> RawTree {
        RawTree {
            roots: HashMap::default(),
            types: HashMap::default(),
        }
    }
}

/// Parses a field's shape list (`o:PodSpec|s`).
fn parse_field(shapes: &str, ids: &HashMap<&str, TypeId>) -> Field {
    let mut out = Vec::new();
    for alt in shapes.split('|') {
        let (code, target) = match alt.split_once(':') {
            Some((c, t)) => (c, ids.get(t).copied()),
            None => (alt, None),
        };
        let shape = match (code, target) {
            ("s", _) => Shape::Scalar,
            ("a", Some(t)) => Shape::ArrayOf(t),
            ("a", None) => Shape::Array,
            ("o", Some(t)) => Shape::Object(t),
            ("m", Some(t)) => Shape::MapOf(t),
            ("m", None) => Shape::Map,
            _ => Shape::Any,
        };
        out.push(shape);
    }
    Field { shapes: out }
}

/// The lower-case words of a field name: `podMetricsEndpoints` -> pod, metrics, endpoints.
pub fn split_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Edit distance where swapping two neighbouring characters counts as one edit.
pub fn edit_distance(a: &str, b: &str) -> usize {
    edit_distance_within(a, b, usize::MAX).unwrap_or(usize::MAX)
}

/// [`edit_distance`] when it is at most `max`; gives up as soon as it cannot be.
pub fn edit_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    if a.is_ascii() && b.is_ascii() {
        if bag_distance(a.as_bytes(), b.as_bytes()) > max {
            return None;
        }
        return distance_within(a.as_bytes(), b.as_bytes(), max);
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    distance_within(&a, &b, max)
}

/// A lower bound of the edit distance of two ASCII strings: the larger of the number of bytes of
/// `a` missing from `b` and of `b` missing from `a`, as multisets. Each edit adds at most one to
/// each count (a swap adds nothing), so strings further apart than `max` by this are told at once.
fn bag_distance(a: &[u8], b: &[u8]) -> usize {
    let mut counts = [0i32; 128];
    for &x in a {
        counts[usize::from(x & 0x7f)] += 1;
    }
    for &x in b {
        counts[usize::from(x & 0x7f)] -= 1;
    }
    let (mut only_a, mut only_b) = (0usize, 0usize);
    for &c in &counts {
        if c > 0 {
            only_a += c as usize;
        } else {
            only_b += c.unsigned_abs() as usize;
        }
    }
    only_a.max(only_b)
}

/// [`edit_distance_within`] of two sequences of characters.
fn distance_within<T: PartialEq>(a: &[T], b: &[T], max: usize) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return None;
    }
    // A cell more than `max` off the diagonal is more than `max` edits away: it is not worked
    // out, and reads as this.
    const FAR: usize = usize::MAX / 2;
    let width = m + 1;
    // Rows i, i - 1 and i - 2 of the table, at (i % 3) * width.
    let mut rows = vec![0usize; 3 * width];
    for (j, cell) in rows[..width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        let (cur, prev, prev2) = (
            (i % 3) * width,
            ((i - 1) % 3) * width,
            ((i + 1) % 3) * width,
        );
        let (lo, hi) = (i.saturating_sub(max).max(1), i.saturating_add(max).min(m));
        rows[cur] = i;
        if lo > 1 {
            rows[cur + lo - 1] = FAR;
        }
        let mut row_min = i;
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[prev + j] + 1)
                .min(rows[cur + j - 1] + 1)
                .min(rows[prev + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[prev2 + j - 2] + 1);
            }
            rows[cur + j] = best;
            row_min = row_min.min(best);
        }
        if hi < m {
            rows[cur + hi + 1] = FAR;
        }
        // No row has a smaller minimum than the one before it.
        if row_min > max {
            return None;
        }
    }
    let distance = rows[(n % 3) * width + m];
    (distance <= max).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table, for reference.
    fn full_table_distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        d[a.len()][b.len()]
    }

    proptest::proptest! {
        #[test]
        fn ascii_strings_far_apart_by_their_bytes_are_far_apart(a in "[a-eA]{0,12}", b in "[a-eA]{0,12}") {
            let full = full_table_distance(&a, &b);
            proptest::prop_assert!(bag_distance(a.as_bytes(), b.as_bytes()) <= full);
            for max in 0..4 {
                proptest::prop_assert_eq!(edit_distance_within(&a, &b, max), (full <= max).then_some(full));
            }
        }

        #[test]
        fn rolling_rows_agree_with_the_whole_table(a in "[abcé]{0,9}", b in "[abcé]{0,9}", max in 0usize..5) {
            let full = full_table_distance(&a, &b);
            proptest::prop_assert_eq!(edit_distance(&a, &b), full);
            proptest::prop_assert_eq!(edit_distance_within(&a, &b, max), (full <= max).then_some(full));
        }
    }

    fn ty(kind: &str) -> TypeId {
        schema().root_for_kind(kind).expect("kind")
    }

    fn child(parent: TypeId, key: &str) -> TypeId {
        let field = schema().field(parent, key).expect("field");
        field
            .object_type()
            .or_else(|| field.item_type())
            .expect("object field")
    }

    #[test]
    fn kinds_resolve_to_root_types() {
        let s = schema();
        for kind in [
            "Pod",
            "Deployment",
            "Service",
            "ConfigMap",
            "CronJob",
            "Ingress",
        ] {
            let root = ty(kind);
            assert!(s.has_field(root, "metadata"), "{kind}");
            assert!(s.has_field(root, "apiVersion"), "{kind}");
        }
        assert!(s.root_for_kind("KafkaUser").is_none());
        assert!(s.generic_root().is_some());
        assert!(s.compose_root().is_some());
    }

    #[test]
    fn field_tree_follows_the_api() {
        let s = schema();
        let spec = child(ty("Deployment"), "spec");
        let template = child(spec, "template");
        let pod_spec = child(template, "spec");
        let container = child(pod_spec, "containers");
        assert_eq!(s.type_name(container), "Container");
        assert!(
            s.field(container, "image")
                .is_some_and(Field::allows_scalar)
        );
        assert!(
            s.field(container, "ports")
                .is_some_and(|f| f.item_type().is_some())
        );
        let meta = child(ty("Pod"), "metadata");
        assert!(s.field(meta, "labels").is_some_and(Field::is_free_map));
        assert!(!s.has_field(pod_spec, "selector"));
        assert!(s.has_field(spec, "selector"));
    }

    #[test]
    fn regular_containers_do_not_take_restart_policy() {
        let s = schema();
        let pod_spec = child(ty("Pod"), "spec");
        assert!(!s.has_field(child(pod_spec, "containers"), "restartPolicy"));
        assert!(s.has_field(child(pod_spec, "initContainers"), "restartPolicy"));
        assert!(s.has_field(pod_spec, "restartPolicy"));
    }

    #[test]
    fn compose_services_are_a_map_of_services() {
        let s = schema();
        let root = s.compose_root().expect("compose");
        let services = s.field(root, "services").expect("services");
        let service = services.map_value_type().expect("map of services");
        assert!(s.has_field(service, "container_name"));
        assert!(s.has_field(service, "x-anything"));
        assert_eq!(s.family(service), Family::Compose);
    }

    #[test]
    fn open_types_with_field_lists_innermost_first() {
        let s = schema();
        let pod = ty("Pod");
        let pod_spec = child(pod, "spec");
        let container = child(pod_spec, "containers");
        let open = [pod, pod_spec, container];
        assert_eq!(s.open_types_with_field(&open, "volumes"), vec![1]);
        assert_eq!(s.open_types_with_field(&open, "image"), vec![2]);
        assert!(s.open_types_with_field(&open, "nope").is_empty());
    }

    #[test]
    fn suggestions_catch_case_and_small_typos() {
        let s = schema();
        let container = child(child(ty("Pod"), "spec"), "containers");
        assert_eq!(
            s.suggest(container, "imagePullPolice"),
            Some("imagePullPolicy")
        );
        assert_eq!(s.suggest(ty("Pod"), "apiversion"), Some("apiVersion"));
        assert_eq!(s.suggest(container, "zzz"), None);
    }

    #[test]
    fn words_and_distance() {
        assert_eq!(
            split_words("podMetricsEndpoints"),
            ["pod", "metrics", "endpoints"]
        );
        assert_eq!(split_words("container_name"), ["container", "name"]);
        assert!(schema().is_word("metrics"));
        assert_eq!(edit_distance("matchLables", "matchLabels"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("replicaset", "replaceset"), 2);
        assert_eq!(edit_distance("ca", "abc"), 3);
        assert_eq!(edit_distance_within("replicaset", "replaceset", 2), Some(2));
        assert_eq!(edit_distance_within("deployment", "daemonset", 2), None);
        assert_eq!(edit_distance_within("ab", "abcdef", 3), None);
    }
}
