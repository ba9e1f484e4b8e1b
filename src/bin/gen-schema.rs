//! Exports the Kubernetes and Compose field trees that the YAML repair reads, from the real schemas.
//!
//! The Kubernetes tree is generated from the `k8s-openapi` schema (API v1.33, through `schemars`);
//! the Compose tree from the Compose Specification JSON schema shipped in the `docker-compose` 1.29.2
//! wheel. Regenerate both files from the crate root with:
//!
//! ```text
//! pip download docker-compose==1.29.2 --no-deps -d /tmp/dc
//! (cd /tmp/dc && unzip -o docker_compose-1.29.2-py2.py3-none-any.whl compose/config/compose_spec.json)
//! cargo run --features schema-gen --bin gen-schema -- /tmp/dc/compose/config/compose_spec.json src/repair/schema
//! ```
//!
//! Both files have the form `{"roots": {kind: type}, "types": {type: {field: shape}}}`. A shape lists
//! the forms a field may take, joined by `|`: `s` scalar, `a` array of scalars, `a:T` array of objects
//! of type T, `o:T` object of type T, `m` free-form map, `m:T` map whose values are objects of type T,
//! `x` anything. A field named `x-*` stands for every field whose name starts with `x-`. Descriptions
//! are dropped; `status` objects are kept as `x`, since manifests do not write them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde_json::{Map, Value};

type Fields = BTreeMap<String, BTreeSet<String>>;

/// The exported tree: root types by kind, and the fields of every type.
#[derive(Default)]
struct Tree {
    roots: BTreeMap<String, String>,
    types: BTreeMap<String, Fields>,
}

/// Walks a JSON schema's definitions into a `Tree`, resolving `$ref`s.
struct Walker<'a> {
    defs: &'a Map<String, Value>,
    ref_prefix: &'static str,
    /// Definition id -> exported type name.
    names: BTreeMap<String, String>,
    /// Definitions already walked.
    done: BTreeSet<String>,
    tree: Tree,
    /// (type, field) pairs whose description limits them to init containers.
    init_only: BTreeSet<(String, String)>,
}

macro_rules! kubernetes_resources {
    ($($path:path),* $(,)?) => {
        /// Every resource kind of the API: its kind and its schema definition id.
        fn register_resources(generator: &mut schemars::SchemaGenerator) -> Vec<(String, String)> {
            let mut out = Vec::new();
            $(
                generator.subschema_for::<$path>();
                out.push((
                    <$path as k8s_openapi::Resource>::KIND.to_string(),
                    <$path as JsonSchema>::schema_name().into_owned(),
                ));
            )*
            out
        }
    };
}

kubernetes_resources!(
    k8s_openapi::api::core::v1::Binding,
    k8s_openapi::api::core::v1::ComponentStatus,
    k8s_openapi::api::core::v1::ConfigMap,
    k8s_openapi::api::core::v1::Endpoints,
    k8s_openapi::api::core::v1::Event,
    k8s_openapi::api::core::v1::LimitRange,
    k8s_openapi::api::core::v1::Namespace,
    k8s_openapi::api::core::v1::Node,
    k8s_openapi::api::core::v1::PersistentVolume,
    k8s_openapi::api::core::v1::PersistentVolumeClaim,
    k8s_openapi::api::core::v1::Pod,
    k8s_openapi::api::core::v1::PodTemplate,
    k8s_openapi::api::core::v1::ReplicationController,
    k8s_openapi::api::core::v1::ResourceQuota,
    k8s_openapi::api::core::v1::Secret,
    k8s_openapi::api::core::v1::Service,
    k8s_openapi::api::core::v1::ServiceAccount,
    k8s_openapi::api::apps::v1::ControllerRevision,
    k8s_openapi::api::apps::v1::DaemonSet,
    k8s_openapi::api::apps::v1::Deployment,
    k8s_openapi::api::apps::v1::ReplicaSet,
    k8s_openapi::api::apps::v1::StatefulSet,
    k8s_openapi::api::batch::v1::CronJob,
    k8s_openapi::api::batch::v1::Job,
    k8s_openapi::api::autoscaling::v1::HorizontalPodAutoscaler,
    k8s_openapi::api::autoscaling::v1::Scale,
    k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
    k8s_openapi::api::networking::v1::Ingress,
    k8s_openapi::api::networking::v1::IngressClass,
    k8s_openapi::api::networking::v1::IPAddress,
    k8s_openapi::api::networking::v1::NetworkPolicy,
    k8s_openapi::api::networking::v1::ServiceCIDR,
    k8s_openapi::api::networking::v1beta1::IPAddress,
    k8s_openapi::api::networking::v1beta1::ServiceCIDR,
    k8s_openapi::api::rbac::v1::ClusterRole,
    k8s_openapi::api::rbac::v1::ClusterRoleBinding,
    k8s_openapi::api::rbac::v1::Role,
    k8s_openapi::api::rbac::v1::RoleBinding,
    k8s_openapi::api::storage::v1::CSIDriver,
    k8s_openapi::api::storage::v1::CSINode,
    k8s_openapi::api::storage::v1::CSIStorageCapacity,
    k8s_openapi::api::storage::v1::StorageClass,
    k8s_openapi::api::storage::v1::VolumeAttachment,
    k8s_openapi::api::storage::v1alpha1::VolumeAttributesClass,
    k8s_openapi::api::storage::v1beta1::VolumeAttributesClass,
    k8s_openapi::api::policy::v1::Eviction,
    k8s_openapi::api::policy::v1::PodDisruptionBudget,
    k8s_openapi::api::scheduling::v1::PriorityClass,
    k8s_openapi::api::node::v1::RuntimeClass,
    k8s_openapi::api::discovery::v1::EndpointSlice,
    k8s_openapi::api::events::v1::Event,
    k8s_openapi::api::coordination::v1::Lease,
    k8s_openapi::api::coordination::v1alpha2::LeaseCandidate,
    k8s_openapi::api::coordination::v1beta1::LeaseCandidate,
    k8s_openapi::api::certificates::v1::CertificateSigningRequest,
    k8s_openapi::api::certificates::v1alpha1::ClusterTrustBundle,
    k8s_openapi::api::certificates::v1beta1::ClusterTrustBundle,
    k8s_openapi::api::authentication::v1::SelfSubjectReview,
    k8s_openapi::api::authentication::v1::TokenRequest,
    k8s_openapi::api::authentication::v1::TokenReview,
    k8s_openapi::api::authorization::v1::LocalSubjectAccessReview,
    k8s_openapi::api::authorization::v1::SelfSubjectAccessReview,
    k8s_openapi::api::authorization::v1::SelfSubjectRulesReview,
    k8s_openapi::api::authorization::v1::SubjectAccessReview,
    k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration,
    k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicy,
    k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicyBinding,
    k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration,
    k8s_openapi::api::admissionregistration::v1alpha1::MutatingAdmissionPolicy,
    k8s_openapi::api::admissionregistration::v1alpha1::MutatingAdmissionPolicyBinding,
    k8s_openapi::api::admissionregistration::v1beta1::ValidatingAdmissionPolicy,
    k8s_openapi::api::admissionregistration::v1beta1::ValidatingAdmissionPolicyBinding,
    k8s_openapi::api::apiserverinternal::v1alpha1::StorageVersion,
    k8s_openapi::api::flowcontrol::v1::FlowSchema,
    k8s_openapi::api::flowcontrol::v1::PriorityLevelConfiguration,
    k8s_openapi::api::resource::v1beta2::DeviceClass,
    k8s_openapi::api::resource::v1beta2::ResourceClaim,
    k8s_openapi::api::resource::v1beta2::ResourceClaimTemplate,
    k8s_openapi::api::resource::v1beta2::ResourceSlice,
    k8s_openapi::api::resource::v1beta1::DeviceClass,
    k8s_openapi::api::resource::v1beta1::ResourceClaim,
    k8s_openapi::api::resource::v1beta1::ResourceClaimTemplate,
    k8s_openapi::api::resource::v1beta1::ResourceSlice,
    k8s_openapi::api::resource::v1alpha3::DeviceClass,
    k8s_openapi::api::resource::v1alpha3::DeviceTaintRule,
    k8s_openapi::api::resource::v1alpha3::ResourceClaim,
    k8s_openapi::api::resource::v1alpha3::ResourceClaimTemplate,
    k8s_openapi::api::resource::v1alpha3::ResourceSlice,
    k8s_openapi::api::storagemigration::v1alpha1::StorageVersionMigration,
    k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService,
);

/// API groups in the order that decides which group's type keeps a short name shared by several.
const GROUP_PREFERENCE: &[&str] = &[
    "core",
    "meta",
    "apps",
    "batch",
    "autoscaling",
    "networking",
    "rbac",
    "storage",
    "policy",
    "discovery",
    "scheduling",
    "node",
];

/// The API group and short name of a definition id like `io.k8s.api.core.v1.PodSpec`.
fn group_and_short(def_id: &str) -> (String, String) {
    let parts: Vec<&str> = def_id.split('.').collect();
    let short = parts.last().copied().unwrap_or(def_id).to_string();
    let version = parts.iter().rposition(|p| is_api_version(p));
    let group = match version {
        Some(i) if i > 0 => parts[i - 1].to_string(),
        _ => String::new(),
    };
    (group, short)
}

/// Whether a dotted segment is an API version (`v1`, `v2beta1`, `v1alpha3`).
fn is_api_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    if digits.len() == rest.len() {
        return false;
    }
    let tail = digits
        .strip_prefix("alpha")
        .or_else(|| digits.strip_prefix("beta"))
        .unwrap_or(digits);
    tail.chars().all(|c| c.is_ascii_digit())
}

/// Exported names for Kubernetes definitions: the short name, suffixed with `@group` when several
/// groups define it (the preferred group keeps the bare name). Versions of one group share a name.
fn kubernetes_names(defs: &Map<String, Value>) -> BTreeMap<String, String> {
    let mut groups_by_short: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for id in defs.keys() {
        let (group, short) = group_and_short(id);
        groups_by_short.entry(short).or_default().insert(group);
    }
    let rank = |g: &str| {
        GROUP_PREFERENCE
            .iter()
            .position(|p| *p == g)
            .unwrap_or(GROUP_PREFERENCE.len())
    };
    let mut names = BTreeMap::new();
    for id in defs.keys() {
        let (group, short) = group_and_short(id);
        let groups = &groups_by_short[&short];
        let first = groups
            .iter()
            .min_by_key(|g| (rank(g), (*g).clone()))
            .cloned()
            .unwrap_or_default();
        let name = if groups.len() == 1 || group == first {
            short
        } else {
            format!("{short}@{group}")
        };
        names.insert(id.clone(), name);
    }
    names
}

impl<'a> Walker<'a> {
    fn new(defs: &'a Map<String, Value>, ref_prefix: &'static str) -> Walker<'a> {
        Walker {
            defs,
            ref_prefix,
            names: BTreeMap::new(),
            done: BTreeSet::new(),
            tree: Tree::default(),
            init_only: BTreeSet::new(),
        }
    }

    /// The forms a value described by `schema` may take; `inline_name` names an inline object type.
    fn shapes(&mut self, schema: &Value, inline_name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let id = reference.strip_prefix(self.ref_prefix).unwrap_or(reference);
            let Some(def) = self.defs.get(id) else {
                out.insert("x".to_string());
                return out;
            };
            if has_properties(def) {
                let name = self.name_of(id);
                self.walk_definition(id, &name, def);
                out.insert(format!("o:{name}"));
                if allows_null(def) {
                    out.insert("s".to_string());
                }
                return out;
            }
            let name = self.name_of(id);
            return self.shapes(def, &name);
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
                for alt in alternatives {
                    out.extend(self.shapes(alt, inline_name));
                }
            }
        }
        if !out.is_empty() {
            return out;
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ if has_properties(schema) => vec!["object"],
            _ if schema.get("items").is_some() => vec!["array"],
            _ if schema.get("x-kubernetes-int-or-string").is_some() => vec!["string"],
            _ => vec![],
        };
        if types.is_empty() {
            out.insert("x".to_string());
        }
        for t in types {
            match t {
                "object" => {
                    out.insert(self.object_shape(schema, inline_name));
                }
                "array" => out.extend(self.array_shapes(schema, inline_name)),
                _ => {
                    out.insert("s".to_string());
                }
            }
        }
        out
    }

    /// The shape of an object schema: a typed object, a map, or anything.
    fn object_shape(&mut self, schema: &Value, inline_name: &str) -> String {
        if has_properties(schema) {
            self.walk_fields(inline_name, schema);
            return format!("o:{inline_name}");
        }
        let values = schema
            .get("additionalProperties")
            .filter(|v| v.is_object())
            .or_else(|| {
                schema
                    .get("patternProperties")
                    .and_then(Value::as_object)
                    .and_then(|p| p.iter().find(|(k, _)| !k.starts_with("^x-")))
                    .map(|(_, v)| v)
            });
        match values {
            Some(value_schema) => {
                let value_shapes = self.shapes(value_schema, inline_name);
                match value_shapes.iter().find_map(|s| s.strip_prefix("o:")) {
                    Some(t) => format!("m:{t}"),
                    None => "m".to_string(),
                }
            }
            None => "x".to_string(),
        }
    }

    /// The shapes of an array schema: `a` for scalar items, `a:T` for object items.
    fn array_shapes(&mut self, schema: &Value, inline_name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let items = schema.get("items").cloned().unwrap_or(Value::Null);
        let item_shapes = self.shapes(&items, inline_name);
        for s in &item_shapes {
            match s.strip_prefix("o:") {
                Some(t) => out.insert(format!("a:{t}")),
                None => out.insert("a".to_string()),
            };
        }
        if out.is_empty() {
            out.insert("a".to_string());
        }
        out
    }

    fn name_of(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// Walks a named definition once.
    fn walk_definition(&mut self, id: &str, name: &str, def: &Value) {
        if self.done.insert(id.to_string()) {
            self.walk_fields(name, def);
        }
    }

    /// Adds the properties of an object schema as the fields of type `name`.
    fn walk_fields(&mut self, name: &str, schema: &Value) {
        self.tree.types.entry(name.to_string()).or_default();
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (field, field_schema) in props {
            let shapes = if field == "status" && is_status_object(field_schema, self.ref_prefix) {
                BTreeSet::from(["x".to_string()])
            } else {
                self.shapes(field_schema, &format!("{name}.{field}"))
            };
            if description_of(field_schema)
                .to_ascii_lowercase()
                .contains("only be set for init containers")
            {
                self.init_only.insert((name.to_string(), field.clone()));
            }
            self.tree
                .types
                .entry(name.to_string())
                .or_default()
                .entry(field.clone())
                .or_default()
                .extend(shapes);
        }
        let extensible = schema
            .get("patternProperties")
            .and_then(Value::as_object)
            .is_some_and(|p| p.keys().any(|k| k.starts_with("^x-")));
        if extensible {
            self.tree
                .types
                .entry(name.to_string())
                .or_default()
                .insert("x-*".to_string(), BTreeSet::from(["x".to_string()]));
        }
    }

    /// Fields whose description limits them to init containers leave `Container`; they stay on a
    /// copy, `InitContainer`, which the `initContainers` lists use.
    fn split_init_containers(&mut self) {
        let limited: Vec<String> = self
            .init_only
            .iter()
            .filter(|(t, _)| t == "Container")
            .map(|(_, f)| f.clone())
            .collect();
        let Some(full) = self.tree.types.get("Container").cloned() else {
            return;
        };
        if limited.is_empty() {
            return;
        }
        self.tree.types.insert("InitContainer".to_string(), full);
        if let Some(fields) = self.tree.types.get_mut("Container") {
            for field in &limited {
                fields.remove(field);
            }
        }
        for fields in self.tree.types.values_mut() {
            if let Some(shapes) = fields.get_mut("initContainers")
                && shapes.remove("a:Container")
            {
                shapes.insert("a:InitContainer".to_string());
            }
        }
    }
}

fn has_properties(schema: &Value) -> bool {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty())
}

fn allows_null(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    }
}

fn description_of(schema: &Value) -> &str {
    schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Whether a `status` field holds a resource's status object (written by the cluster, not by hand).
fn is_status_object(schema: &Value, ref_prefix: &str) -> bool {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(ref_prefix))
        .is_some_and(|id| id.ends_with("Status"))
}

/// The Kubernetes tree: every resource kind's root type and the types reachable from it.
fn kubernetes_tree() -> Tree {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let resources = register_resources(&mut generator);
    let defs = generator.definitions().clone();
    let mut walker = Walker::new(&defs, "#/$defs/");
    walker.names = kubernetes_names(&defs);
    for (kind, id) in &resources {
        let name = walker.name_of(id);
        if let Some(def) = defs.get(id) {
            walker.walk_definition(id, &name, def);
        }
        walker.tree.roots.entry(kind.clone()).or_insert(name);
    }
    walker.split_init_containers();
    add_generic_resource(&mut walker.tree);
    walker.tree
}

/// Adds `Resource`, the type of a resource of unknown kind (a custom resource), under root `*`: the
/// fields that at least half of the API's resource kinds share (`apiVersion`, `kind`, `metadata`), plus
/// `spec` and `status` as free-form objects.
fn add_generic_resource(tree: &mut Tree) {
    let roots: BTreeSet<&String> = tree.roots.values().collect();
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for root in &roots {
        if let Some(fields) = tree.types.get(*root) {
            for (field, shapes) in fields {
                let joined = shapes.iter().cloned().collect::<Vec<_>>().join("|");
                *counts.entry((field.clone(), joined)).or_default() += 1;
            }
        }
    }
    let mut generic = Fields::new();
    for ((field, shape), count) in counts {
        if count * 2 >= roots.len() {
            generic.insert(field, BTreeSet::from([shape]));
        }
    }
    for field in ["spec", "status"] {
        generic
            .entry(field.to_string())
            .or_insert_with(|| BTreeSet::from(["x".to_string()]));
    }
    tree.types.insert("Resource".to_string(), generic);
    tree.roots.insert("*".to_string(), "Resource".to_string());
}

/// The Compose tree, from the Compose Specification JSON schema.
fn compose_tree(spec: &Value) -> Tree {
    let empty = Map::new();
    let defs = spec
        .get("definitions")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut walker = Walker::new(defs, "#/definitions/");
    walker.walk_fields("Compose", spec);
    walker
        .tree
        .roots
        .insert("compose".to_string(), "Compose".to_string());
    walker.tree
}

/// The tree as compact JSON: one type per line, shapes joined by `|`.
fn render(tree: &Tree) -> String {
    let roots = serde_json::to_string(&tree.roots).unwrap_or_default();
    let mut out = format!("{{\"roots\":{roots},\n\"types\":{{\n");
    let count = tree.types.len();
    for (i, (name, fields)) in tree.types.iter().enumerate() {
        let compact: BTreeMap<&str, String> = fields
            .iter()
            .map(|(f, shapes)| {
                let joined = shapes.iter().cloned().collect::<Vec<_>>().join("|");
                (f.as_str(), joined)
            })
            .collect();
        let key = serde_json::to_string(name).unwrap_or_default();
        let value = serde_json::to_string(&compact).unwrap_or_default();
        let comma = if i + 1 < count { "," } else { "" };
        out.push_str(&format!("{key}:{value}{comma}\n"));
    }
    out.push_str("}}\n");
    out
}

fn write_tree(dir: &Path, file: &str, tree: &Tree) -> std::io::Result<()> {
    let path = dir.join(file);
    let text = render(tree);
    std::fs::write(&path, &text)?;
    eprintln!(
        "{}: {} roots, {} types, {} bytes",
        path.display(),
        tree.roots.len(),
        tree.types.len(),
        text.len()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(compose_spec) = args.next() else {
        return Err("usage: gen-schema COMPOSE_SPEC_JSON [OUT_DIR]".into());
    };
    let out_dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("src/repair/schema"));
    std::fs::create_dir_all(&out_dir)?;
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(&compose_spec)?)?;
    write_tree(&out_dir, "k8s.json", &kubernetes_tree())?;
    write_tree(&out_dir, "compose.json", &compose_tree(&spec))?;
    Ok(())
}
