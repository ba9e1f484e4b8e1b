//! The glossary: terms found in the notes, merged across names and languages, each with a
//! definition quoted from the notes and the sections that explain or mention it.
//!
//! Rules that find terms (each entry records which ones found it):
//! - `bilingual`: a term with its translation or abbreviation in brackets (`存活探针（Liveness Probe）`,
//!   `PersistentVolume (PV)`), in prose, headings and table headers;
//! - `heading`: a heading that names a concept (`## ReplicaSet`, `### 无头服务`, `7.6 PV & PVC`);
//! - `bold`: a bold term followed by its definition (`**Pod**：…`);
//! - `definition`: a sentence that defines a short term (`X 是…`, `X 用于…`, `X：…`);
//! - `kind` / `field`: Kubernetes kinds and fields of the API schema named in the prose;
//! - `user`: entries of the optional `glossary.yaml` in the notes folder (they win).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::BTreeMap;
use std::sync::LazyLock;

use rayon::prelude::*;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::matcher::Matcher;
use super::{Corpus, SectionRef};
use crate::repair::schema;

/// An entry of the user's `glossary.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub term: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub definition: Option<String>,
}

/// One concept of the glossary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Anchor id in `glossary.html`.
    pub id: String,
    pub term: String,
    pub aliases: Vec<String>,
    pub definition: String,
    /// Where the definition was quoted from.
    pub defined_at: Option<SectionRef>,
    /// Sections whose heading names the term.
    pub explained_in: Vec<SectionRef>,
    /// Other sections whose text mentions it.
    pub mentioned_in: Vec<SectionRef>,
    /// Index letter: `A`–`Z` (Chinese by pinyin) or `#`.
    pub letter: String,
    /// The rules that found it.
    pub rules: Vec<&'static str>,
}

impl Entry {
    /// The term and its aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.term.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A name found by a rule, with the names it was found with.
struct Found {
    names: Vec<String>,
    rule: &'static str,
    /// A defining sentence and where it stands.
    definition: Option<(String, SectionRef, i32)>,
    /// Kept only if the notes' prose holds this text at least so many times (lower-cased when set).
    require: Option<(String, bool, usize)>,
}

fn is_han(c: char) -> bool {
    crate::repair::detect::is_cjk(c)
}

/// `text.to_lowercase()`, faster on Chinese text: runs of characters without case (CJK
/// ideographs and punctuation) are copied as they are.
fn to_lowercase(text: &str) -> String {
    let caseless = |c: char| matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let cased = &rest[..rest.find(caseless).unwrap_or(rest.len())];
        if cased.is_ascii() {
            out.extend(cased.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            // Whole runs keep the context some letters need (a final sigma).
            out.push_str(&cased.to_lowercase());
        }
        rest = &rest[cased.len()..];
        let end = rest.find(|c| !caseless(c)).unwrap_or(rest.len());
        out.push_str(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

/// Whether lower-casing `text` changes nothing but its ASCII letters. CJK text (U+3000 to
/// U+9FFF, three bytes led by 0xE3 to 0xE9) has no case and is passed over without being decoded.
fn lowers_as_ascii(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0..=0x7f => i += 1,
            0xe3..=0xe9 => i += 3,
            _ => {
                let Some(c) = text[i..].chars().next() else {
                    return false;
                };
                if c.to_lowercase().ne(std::iter::once(c)) {
                    return false;
                }
                i += c.len_utf8();
            }
        }
    }
    true
}

/// The key under which names are merged: width-folded, lower-case, without spaces, dashes or a plural `s`.
pub fn norm(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        if c.is_whitespace() || matches!(c, '-' | '_' | '·') {
            continue;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    if out.len() > 4
        && out.is_ascii()
        && out.ends_with('s')
        && !out.ends_with("ss")
        && !out.ends_with("us")
    {
        out.pop();
    }
    out
}

/// Words that head sections and sentences without naming a concept.
const GENERIC: &[&str] = &[
    "概念",
    "定义",
    "使用",
    "用法",
    "创建",
    "总结",
    "简介",
    "介绍",
    "说明",
    "其他",
    "其它",
    "状态",
    "语法",
    "示例",
    "例子",
    "例如",
    "比如",
    "安装",
    "配置",
    "原理",
    "作用",
    "特点",
    "特性",
    "命令",
    "注意",
    "注意事项",
    "参考",
    "附录",
    "问题",
    "步骤",
    "方法",
    "原因",
    "结果",
    "结论",
    "优点",
    "缺点",
    "功能",
    "场景",
    "用途",
    "区别",
    "答",
    "答案",
    "解决",
    "解决方法",
    "解决方案",
    "演示",
    "实战",
    "练习",
    "准备",
    "环境",
    "目录",
    "前言",
    "背景",
    "目标",
    "要求",
    "格式",
    "类型",
    "分类",
    "组成",
    "流程",
    "过程",
    "思路",
    "最佳实践",
    "存在意义",
    "核心命令",
    "管理命令",
    "常用命令",
    "基本概念",
    "核心概念",
    "工作原理",
    "相关命令",
    "拓展",
    "拓展提高",
    "补充",
    "提示",
    "警告",
    "备注",
    "案例",
    "测试",
    "验证",
    "查看",
    "删除",
    "修改",
    "更新",
    "这",
    "那",
    "它",
    "我们",
    "你",
    "他",
    "其中",
    "此时",
    "这里",
    "然后",
    "首先",
    "其次",
    "最后",
    "所以",
    "因此",
    "但是",
    "如果",
    "当",
    "一般",
    "通常",
    "默认",
    "主要",
    "简单",
    "重点",
    "关系",
    "什么",
    "下面",
    "上面",
    "以下",
    "如下",
    "这些",
    "那些",
    "这种",
    "那种",
    "有些",
    "一些",
    "所有",
    "每个",
    "另外",
    "同时",
    // Words that point at the text or a figure (`上述是…`, `下表是…`).
    "上述",
    "下述",
    "前述",
    "上表",
    "下表",
    "上图",
    "下图",
    "如上",
    "以上",
    "前面",
    "后面",
    // Sentence adverbs and conjunctions (`无论是…`, `特别是…`, `譬如…`).
    "无论",
    "不论",
    "同样",
    "特别",
    "实际",
    "其实",
    "尤其",
    "往往",
    "总之",
    "此外",
    "而且",
    "或者",
    "譬如",
    "诸如",
    "假如",
    "适合",
    "介绍说明",
    "创建方式",
    "使用方式",
    "使用场景",
    "overview",
    "introduction",
    "usage",
    "summary",
    "example",
    "examples",
    "note",
    "notes",
    "references",
    "install",
    "installation",
    "setup",
    "syntax",
    "description",
    "options",
    "steps",
    "result",
    "results",
    "problem",
    "solution",
    "see",
    "todo",
    "tip",
    "warning",
    "info",
    "the",
    "this",
    "that",
    "it",
    "更多",
    "基本",
    "前者",
    "后者",
    "按照",
    "描述",
    "解释",
    "表示",
    "处理",
    "错误",
    "本文",
    "本文档",
    "本节",
    "本章",
    "本指南",
    "概述",
    "概况",
    "举例",
    "建议",
    "开始",
    "快速",
    "关键",
    "基础",
    "含义",
    "何时",
];

/// Words that end a heading about a concept without being part of its name.
const GENERIC_SUFFIXES: &[&str] = &[
    "概念",
    "简介",
    "介绍",
    "原理",
    "详解",
    "说明",
    "的使用",
    "使用",
    "安装",
    "配置",
    "入门",
    "基础",
    "概述",
    "工作原理",
    "演示",
    "overview",
    "basics",
    "introduction",
];

fn is_generic(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    GENERIC.contains(&n.as_str())
}

/// Function characters that do not start or end a Chinese term.
const FUNCTION_CHARS: &str = "的是了在和与及或为用于过来被将把使个中对向通即也就都而并让由从以其该此这那种有要可会能但仍却仅";

/// Connectives that lead a clause and so never start a Chinese name.
const CONNECTIVES: &[&str] = &[
    "例如", "比如", "譬如", "诸如", "如果", "假如", "因为", "所以", "但是", "然后", "首先", "其次",
    "因此", "无论", "不论", "同样", "特别", "其实", "尤其", "另外", "此外", "而且", "或者", "以及",
    "并且", "总之",
];

/// Characters that do not end a Chinese term: adverbs before a verb, and the first half of a word
/// a definition's verb ends (`但是`, `只用于`, `适用于`), so `拆分但` of `拆分但是不排序` is none.
const NOT_LAST_CHARS: &str = "只还适才又";

/// The name a definition sentence (`X 是…`, `X 用于…`, `X: …`) defines, when it can head an entry.
fn definition_subject(sentence: &str) -> Option<String> {
    let c = DEFINITION.captures(sentence)?;
    let whole = c.get(0)?;
    // `是否` and `是不是` ask whether: `查询是否有…` defines nothing.
    if whole.as_str().ends_with('是') && sentence[whole.end()..].starts_with(['否', '不']) {
        return None;
    }
    // `https://…` is an address, not a name and its definition.
    if whole.as_str().ends_with([':', '：']) && sentence[whole.end()..].starts_with("//") {
        return None;
    }
    let term = c.get(1).or_else(|| c.get(2))?.as_str().trim().to_string();
    // A subject that holds `是` (`优化器是不` of `优化器是不是…`) runs past the sentence's verb.
    if term.contains('是') {
        return None;
    }
    is_term_like(&term).then_some(term)
}

/// Whether `name` can head a glossary entry.
fn is_term_like(name: &str) -> bool {
    let name = name.trim();
    let chars: Vec<char> = name.chars().collect();
    if chars.is_empty() || chars.len() > 40 || is_generic(name) {
        return false;
    }
    if chars
        .iter()
        .all(|c| c.is_ascii_digit() || c.is_ascii_punctuation() || c.is_whitespace())
    {
        return false;
    }
    if name.contains([
        '，', '。', '：', ':', '？', '?', '！', '、', ',', ';', '；', '"', '“', '”', '=', '|',
    ]) {
        return false;
    }
    let han = chars.iter().filter(|&&c| is_han(c)).count();
    if han > 0 {
        let first = chars[0];
        let last = chars[chars.len() - 1];
        if han > 8
            || FUNCTION_CHARS.contains(first)
            || FUNCTION_CHARS.contains(last)
            || NOT_LAST_CHARS.contains(last)
        {
            return false;
        }
        // `例如加索引`, `如果你的集群`: a phrase led by a connective, not a name.
        if CONNECTIVES.iter().any(|c| name.starts_with(c)) {
            return false;
        }
        // `一类`, `两种`, `每个节点`: a count of things, not the name of one.
        if chars.len() >= 2
            && "一两几每各某".contains(first)
            && "类种个些次条项份组批部".contains(chars[1])
        {
            return false;
        }
        // `卷的核心` of `卷的核心作用是…`: a phrase about a thing, not the name of one.
        if chars
            .windows(3)
            .any(|w| w[1] == '的' && is_han(w[0]) && is_han(w[2]))
        {
            return false;
        }
        return han >= 2 || chars.len() >= 3;
    }
    let words = name.split_whitespace().count();
    words <= 4 && chars[0].is_alphabetic() && chars.len() >= 2
}

/// Words that open a remark in brackets rather than another name (`Namespace(包括 PVC)`).
const REMARK_STARTS: &[&str] = &[
    "包括",
    "包含",
    "不包括",
    "不含",
    "含",
    "除了",
    "注意",
    "重要",
    "推荐",
    "建议",
    "可选",
    "必须",
    "必选",
    "默认",
    "一般",
    "通常",
    "常用",
    "比如",
    "例如",
];

/// Whether the Chinese in brackets after a Latin name (`Taint(污点)`) is another name of it, not
/// a remark on it: not opened by a remark word (`包括 PVC`), and without a space between Chinese
/// words (`etcd (重要 做高可用集群)`), which a name does not have.
fn is_bracketed_name(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    let spaced = words.windows(2).any(|w| {
        w[0].chars().next_back().is_some_and(is_han) && w[1].chars().next().is_some_and(is_han)
    });
    !spaced && !REMARK_STARTS.iter().any(|r| text.starts_with(r))
}

/// Particles that may stand before a term in a run of Chinese text (`的静态端口` -> `静态端口`).
const LEADING_PARTICLES: &str = "的了和与及或在是被把将对向从由以而并且也都为";

/// Words inside a run of Chinese characters that a name before a bracket does not reach across:
/// they join two parts of a clause or say what a thing is called.
const INNER_BREAKS: &[&str] = &[
    "被", "通过", "包括", "或者", "以及", "称为", "叫做", "叫作", "视作", "视为", "简称",
];

/// The last of the [`INNER_BREAKS`] in `run`: where the text after it starts, and the break.
fn last_break(run: &str) -> Option<(usize, &'static str)> {
    INNER_BREAKS
        .iter()
        .filter_map(|b| run.rfind(b).map(|at| (at + b.len(), *b)))
        .max()
}

/// Whether a bracketed Latin name is a code rather than words: an abbreviation in capitals
/// (`OOM`) or an identifier with a capital inside (`LockNotFound`).
fn is_code_name(latin: &str) -> bool {
    let letters: Vec<char> = latin.chars().filter(char::is_ascii_alphabetic).collect();
    let all_capitals = letters.len() >= 2 && letters.iter().all(char::is_ascii_uppercase);
    let inner_capital = latin.split_whitespace().any(|w| {
        w.chars().skip(1).any(|c| c.is_ascii_uppercase())
            && w.chars().any(|c| c.is_ascii_lowercase())
    });
    all_capitals || inner_capital
}

/// The Chinese term that ends right before a bracket, when it can be told with confidence: the
/// run of Chinese characters (after a leading particle) when it is short, up to six characters
/// when nothing but punctuation, space or Latin text stands before it.
fn han_tail(run: &str, standalone: bool) -> Option<String> {
    // A word that joins two parts of a clause (`卷通过挂载`, `称为混合搜索`): the name is after it,
    // as clearly bounded as after punctuation.
    let (run, standalone) = match last_break(run) {
        Some((after, _)) => (&run[after..], true),
        None => (run, standalone),
    };
    let chars: Vec<char> = run.chars().collect();
    let start = chars.iter().position(|c| !LEADING_PARTICLES.contains(*c))?;
    let len = chars.len() - start;
    let limit = if standalone && start == 0 { 6 } else { 4 };
    (2..=limit)
        .contains(&len)
        .then(|| chars[start..].iter().collect())
}

static HAN_THEN_LATIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([\p{Han}]{1,12})\s*[（(]\s*([A-Za-z][A-Za-z0-9 .\-/]{0,40}?)\s*[)）]")
        .expect("valid regex")
});
static LATIN_THEN_ABBR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"([A-Z][A-Za-z0-9]*(?:[ \-][A-Za-z][A-Za-z0-9]*){0,4})\s*[（(]\s*([A-Z]{2,6})\s*[)）]",
    )
    .expect("valid regex")
});
static LATIN_THEN_HAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([A-Za-z][A-Za-z0-9]*(?:[ \-][A-Za-z][A-Za-z0-9]*){0,3})\s*[（(]\s*([A-Za-z ]{0,12}[\p{Han}][\p{Han}A-Za-z ]{0,12})\s*[)）]")
        .expect("valid regex")
});
static LATIN_THEN_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([A-Z][A-Za-z0-9]*(?: [A-Z][A-Za-z0-9]*){0,3})\s*[（(]\s*([a-z][a-z0-9]*-[a-z0-9\-]{2,30})\s*[)）]")
        .expect("valid regex")
});
static ANNOTATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*([A-Za-z][A-Za-z0-9\-]{2,30})\s+(?:\([^)]{0,30}\)\s*)?#\s*(\S.{3,})$")
        .expect("valid regex")
});
static DEFINITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[-*•·]\s*)?(?:([A-Za-z][A-Za-z0-9.\-]*(?: [A-Za-z][A-Za-z0-9.\-]*){0,2})\s*(?:[（(][^）)]{1,40}[)）])?\s*(?:是一种|是一个|是指|就是|指的是|是|用于|用来|负责|：|:|\s(?:is|are|means|refers to)\s)|([\p{Han}]{2,6}|[A-Za-z][A-Za-z0-9]*\s?[\p{Han}]{1,4})\s*(?:[（(][^）)]{1,40}[)）])?\s*(?:是一种|是一个|是指|就是|指的是|是|用于|用来|负责))")
        .expect("valid regex")
});
/// Calls `found` with every Latin word of `text`: an ASCII letter, then ASCII letters and digits.
fn for_each_latin_token(text: &str, mut found: impl FnMut(&str)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            found(&text[start..i]);
        } else {
            i += 1;
        }
    }
}
static NUMBERING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\d+(?:\.\d+)*\.?\s*|[（(]\d+[)）]\s*|[一二三四五六七八九十]+[、.．]\s*)")
        .expect("valid regex")
});
static SPLIT_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s*(?:&|/|、|和|与|及|\band\b|\bvs\.?)\s*").expect("valid regex")
});
/// [`SPLIT_PARTS`] for a text without `and` or `vs`, where it splits the same. Without word
/// boundaries, it is found without falling back to a slower engine on Chinese text.
static SPLIT_PARTS_SYMBOLS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*(?:&|/|、|和|与|及)\s*").expect("valid regex"));

/// The end of `name` that `abbr` abbreviates: the abbreviation's letters, in order, with its first
/// letter starting the name (`Time to live` for `TTL`). Words are dropped from the front until
/// one fits (`Use Persistent Volume Claim` gives `Persistent Volume Claim` for `PVC`).
fn abbreviated<'n>(name: &'n str, abbr: &str) -> Option<&'n str> {
    let fits = |name: &str| {
        let mut rest = name.chars().map(|c| c.to_ascii_lowercase());
        let mut letters = abbr.chars().map(|c| c.to_ascii_lowercase());
        letters
            .next()
            .is_some_and(|first| rest.next() == Some(first))
            && letters.all(|l| rest.any(|c| c == l))
    };
    let mut rest = name;
    loop {
        if fits(rest) {
            return Some(rest);
        }
        rest = rest.split_once([' ', '-'])?.1.trim_start();
    }
}

/// A name bracketed after more different names than this (`（GA）`, `（实验特性）`) marks a status
/// or a kind, not a translation: those pairs join no concepts unless they are certain.
const MAX_PARTNERS: usize = 3;

/// Short names `kubectl` accepts for the API's kinds (`kubectl api-resources`).
const SHORT_NAMES: &[(&str, &str)] = &[
    ("po", "Pod"),
    ("svc", "Service"),
    ("deploy", "Deployment"),
    ("rs", "ReplicaSet"),
    ("sts", "StatefulSet"),
    ("ds", "DaemonSet"),
    ("pv", "PersistentVolume"),
    ("pvc", "PersistentVolumeClaim"),
    ("cm", "ConfigMap"),
    ("ns", "Namespace"),
    ("ing", "Ingress"),
    ("ep", "Endpoints"),
    ("rc", "ReplicationController"),
    ("sc", "StorageClass"),
    ("sa", "ServiceAccount"),
    ("cj", "CronJob"),
    ("hpa", "HorizontalPodAutoscaler"),
    ("pdb", "PodDisruptionBudget"),
    ("netpol", "NetworkPolicy"),
    ("crd", "CustomResourceDefinition"),
];

/// A heading without its numbering and trailing bracketed counter (`2.1 Pod概念` -> `Pod概念`).
pub fn bare_heading(text: &str) -> String {
    let t = NUMBERING.replace(text.trim(), "");
    let t = t.trim();
    let t = t
        .strip_suffix(|c: char| c == ')' || c == '）')
        .and_then(|s| {
            let open = s.rfind(['(', '（'])?;
            s[open..]
                .trim_start_matches(['(', '（'])
                .chars()
                .all(|c| c.is_ascii_digit())
                .then(|| s[..open].trim())
        })
        .unwrap_or(t);
    t.to_string()
}

/// Whether a heading is a question.
pub fn is_question(heading: &str) -> bool {
    static QUESTION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)[？?]\s*(?:[（(][^）)]*[)）])?\s*$|^(?:什么是|如何|怎么|怎样|为什么|为何|是否|简述|简单讲|简单描述|简单说|讲一下|说一下|说说|谈谈|解释一下|描述一下)|吗[）)]?$|呢$|哪些|哪几|有什么|是什么|什么意思|如何|怎么|为什么|为何|多少|几种|^(?:what|how|why|when|where|which|who|is|are|can|does|do|should)(?:$|\W)")
            .expect("valid regex")
    });
    let t = NUMBERING.replace(heading.trim(), "");
    QUESTION.is_match(t.trim())
}

/// The concepts a heading names, each with its names (`RS (ReplicaSet)` is one concept with two
/// names; `PV & PVC` two concepts), or none when the heading does not name concepts.
fn heading_terms(heading: &str) -> Vec<Vec<String>> {
    let bare = bare_heading(heading);
    if bare.is_empty() || is_question(&bare) {
        return Vec::new();
    }
    // `Helm概念`, `Dockerfile 详解`: the concept without the word that says what the section does.
    let bare = GENERIC_SUFFIXES
        .iter()
        .find_map(|suffix| {
            bare.strip_suffix(suffix)
                .map(str::trim_end)
                .filter(|rest| rest.chars().count() >= 2)
        })
        .unwrap_or(&bare)
        .to_string();
    let concept = |part: &str| bracketed_names(part, is_heading_name);
    let split = if bare.contains("and") || bare.contains("vs") {
        &*SPLIT_PARTS
    } else {
        &*SPLIT_PARTS_SYMBOLS
    };
    let parts: Option<Vec<Vec<String>>> = split
        .split(&bare)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(concept)
        .collect();
    match parts {
        Some(parts) if parts.len() >= 2 => parts,
        _ => concept(&bare).map(|whole| vec![whole]).unwrap_or_default(),
    }
}

/// Whether a table header cell names an attribute of the rows (`说明`, `主要职责`, `适用场景`)
/// rather than a concept: such a table lists things, it does not compare concepts.
fn is_attribute_label(cell: &str) -> bool {
    const ATTRIBUTES: &[&str] = &[
        "说明",
        "描述",
        "作用",
        "备注",
        "场景",
        "职责",
        "特点",
        "简述",
        "名称",
        "用途",
        "示例",
        "例子",
        "解释",
        "含义",
        "默认值",
        "类型",
        "取值",
        "版本",
    ];
    let cell = cell.trim();
    ATTRIBUTES.iter().any(|a| cell.ends_with(a))
        || [
            "description",
            "note",
            "notes",
            "usage",
            "example",
            "default",
            "type",
            "name",
        ]
        .iter()
        .any(|a| cell.eq_ignore_ascii_case(a))
}

/// Whether a table's first header says its first column lists concepts (`核心概念`, `术语`).
fn names_concepts(header: &str) -> bool {
    const HEADERS: &[&str] = &[
        "概念",
        "核心概念",
        "基本概念",
        "关键概念",
        "主要概念",
        "术语",
        "名词",
        "组件",
        "核心组件",
        "concept",
        "concepts",
        "term",
        "terms",
        "component",
        "components",
    ];
    let h = header.trim().to_lowercase();
    HEADERS.contains(&h.as_str())
}

/// The names of a text that names one concept, a bracketed second name split off
/// (`RS (ReplicaSet)`, `Repository (Repo)`), or none when a name is not one `is_name` takes.
fn bracketed_names(text: &str, is_name: impl Fn(&str) -> bool) -> Option<Vec<String>> {
    static BRACKETED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([^()（）]+?)\s*[（(]\s*([^()（）]+?)\s*[)）]$").expect("valid regex")
    });
    let text = text.trim();
    let names = match BRACKETED.captures(text) {
        Some(c) => vec![c[1].trim().to_string(), c[2].trim().to_string()],
        None => vec![text.to_string()],
    };
    names.iter().all(|n| is_name(n)).then_some(names)
}

fn is_heading_name(part: &str) -> bool {
    if !is_term_like(part) || part.contains('的') {
        return false;
    }
    let han = part.chars().filter(|&c| is_han(c)).count();
    let latin_words = part.split_whitespace().count();
    if han == 0 {
        latin_words <= 3 && part.len() <= 32
    } else {
        han <= 6 && !part.contains(' ') || (han <= 4 && latin_words <= 2)
    }
}

/// Sentences of a section's prose.
pub fn sentences(prose: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = prose.as_bytes();
    let mut i = 0;
    // Bytes, not characters: every end mark is ASCII or one of four three-byte characters.
    while i < bytes.len() {
        // Most bytes start no end mark: they are passed over in a tight loop.
        while i < bytes.len() && !MAY_END_SENTENCE[usize::from(bytes[i])] {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let (end, len) = match bytes[i] {
            b'\n' => (Some(i), 1),
            b'.' | b'!' | b'?'
                if prose[i + 1..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace) =>
            {
                (Some(i + 1), 1)
            }
            0xE3 | 0xEF
                // 。 ！ ？ ；
                if matches!(
                    bytes[i..bytes.len().min(i + 3)],
                    [0xE3, 0x80, 0x82] | [0xEF, 0xBC, 0x81 | 0x9F | 0x9B]
                ) =>
            {
                (Some(i + 3), 3)
            }
            _ => (None, 1),
        };
        if let Some(end) = end {
            let s = prose[start..end].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = i + len;
        }
        i += len;
    }
    let s = prose[start..].trim();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

/// The bytes that may start what ends a sentence in [`sentences`]: a line break, `.`, `!`, `?`,
/// and the first byte of `。`, `！`, `？` and `；`.
static MAY_END_SENTENCE: [bool; 256] = {
    let mut table = [false; 256];
    let marks = [b'\n', b'.', b'!', b'?', 0xE3, 0xEF];
    let mut i = 0;
    while i < marks.len() {
        table[marks[i] as usize] = true;
        i += 1;
    }
    table
};

/// `sentence`, a sentence of `section`'s prose (which leaves inline code out), with the inline
/// code it held put back: `使用 字段可以…` becomes `使用 subPath 字段可以…`. A text that is not a
/// sentence of the prose (a definition made of a table's cells) comes back as it is.
fn with_inline_code<'s>(sentence: &'s str, section: &'s super::SectionText) -> &'s str {
    let (prose, with) = (section.prose.as_str(), section.prose_with_code.as_str());
    if section.code_gaps.is_empty() {
        return sentence;
    }
    let Some(start) = memchr::memmem::find(prose.as_bytes(), sentence.as_bytes()) else {
        return sentence;
    };
    let end = start + sentence.len();
    // The offset in the text with code of `at`, before the code that stands there or after it.
    let map = |at: usize, after: bool| -> Option<usize> {
        let shift: isize = section
            .code_gaps
            .iter()
            .take_while(|&&(o, _)| o < at || (after && o == at))
            .map(|&(_, delta)| delta)
            .sum();
        at.checked_add_signed(shift)
            .filter(|&i| i <= with.len() && with.is_char_boundary(i))
    };
    // Code before the sentence's first word, on its line, belongs to it; so does code after
    // its last word when it has no end mark.
    let line_space = |c: char| c.is_whitespace() && c != '\n';
    let from = start - (prose[..start].len() - prose[..start].trim_end_matches(line_space).len());
    let to = if sentence.ends_with(['。', '！', '？', '；', '.', '!', '?']) {
        map(end, false)
    } else {
        let after = prose[end..].len() - prose[end..].trim_start_matches(line_space).len();
        map(end + after, true)
    };
    match (map(from, false), to) {
        (Some(from), Some(to)) if from <= to => with[from..to].trim(),
        _ => sentence,
    }
}

/// Whether `sentence` says nothing but one of `names` (`ENTRYPOINT`, `matchExpressions：`).
fn only_names(sentence: &str, names: &[String]) -> bool {
    let key = norm(sentence.trim_matches(|c: char| !c.is_alphanumeric()));
    names.iter().any(|n| norm(n) == key)
}

/// A definition quoted from the notes, cut to a readable length.
fn quote(sentence: &str) -> String {
    let s = sentence.trim().trim_start_matches(['-', '*', '•', ' ']);
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 160 {
        return s.to_string();
    }
    let mut cut: String = chars[..150].iter().collect();
    if let Some(p) = cut.rfind(['，', ',', '；', ' '])
        && p > 60
    {
        cut.truncate(p);
    }
    format!("{}…", cut.trim_end())
}

/// The sentences of each section's prose ([`sentences`]), by chapter and section.
type SentencesOf<'c> = Vec<Vec<Vec<&'c str>>>;

/// [`sentences`] of every section of `corpus`, read once for all the rules that go by sentence.
fn sentences_of(corpus: &Corpus) -> SentencesOf<'_> {
    corpus
        .chapters
        .par_iter()
        .map(|c| c.iter().map(|s| sentences(&s.prose)).collect())
        .collect()
}

/// Find the names of every rule in the corpus; `all_sentences` are its [`sentences_of`].
fn find_names(corpus: &Corpus, all_sentences: &SentencesOf<'_>) -> Vec<Found> {
    let texts: Vec<&str> = corpus.sections().map(|(_, s)| s.prose.as_str()).collect();
    let s = schema::schema();
    let kinds: HashMap<String, &str> = s.kinds().map(|k| (k.to_lowercase(), k)).collect();
    let sections: Vec<(SectionRef, &super::SectionText)> = corpus.sections().collect();
    let per_section: Vec<Vec<Found>> = sections
        .par_iter()
        .map(|&(at, section)| {
            let mut found = Vec::new();
            let sentences_of: &[&str] = &all_sentences[at.chapter][at.section];
            let sources: Vec<&str> = std::iter::once(section.heading.as_str())
                .chain(sentences_of.iter().copied())
                .collect();
            for (n, text) in sources.iter().enumerate() {
                // Every bilingual pattern has a name in brackets.
                if !text.contains(['(', '（']) {
                    continue;
                }
                // The sentence defines the pair only when it says more than the names.
                let def =
                    (n > 0 && text.chars().count() >= 16).then(|| ((*text).to_string(), at, 6));
                for c in HAN_THEN_LATIN.captures_iter(text) {
                    let Some(run) = c.get(1) else {
                        continue;
                    };
                    let before = text[..run.start()].chars().next_back();
                    let standalone = !before.is_some_and(is_han);
                    let latin = c[2].trim().to_string();
                    // Glued to a Latin word before it (`IP地址(IP-per-Pod)`), the Chinese part
                    // is half of a longer name: only the bracketed name is taken.
                    let glued = before.is_some_and(|b| b.is_ascii_alphanumeric());
                    // After the passive `被` comes what is done: a code in brackets is its
                    // cause (`容器被终止(OOM)`), not its name; words may translate it
                    // (`被截断 (Truncate)`).
                    let passive = last_break(run.as_str()).is_some_and(|(_, b)| b == "被");
                    let tail = if glued || (passive && is_code_name(&latin)) {
                        None
                    } else {
                        han_tail(run.as_str(), standalone)
                    };
                    let names = match tail {
                        Some(zh) => vec![zh, latin],
                        None => vec![latin],
                    };
                    found.push(Found {
                        names,
                        rule: "bilingual",
                        definition: def.clone(),
                        require: None,
                    });
                }
                for c in LATIN_THEN_ABBR.captures_iter(text) {
                    // `Time to live (TTL)`, not `TTL (GA)`: the letters must fit the name.
                    let Some(name) = abbreviated(c[1].trim(), &c[2]) else {
                        continue;
                    };
                    found.push(Found {
                        names: vec![name.to_string(), c[2].to_string()],
                        rule: "bilingual",
                        definition: def.clone(),
                        require: None,
                    });
                }
                for c in LATIN_THEN_HAN.captures_iter(text) {
                    let zh = c[2].trim().to_string();
                    if zh.chars().filter(|&c| is_han(c)).count() > 10 {
                        continue;
                    }
                    if !is_bracketed_name(&zh) {
                        // A remark on the name (`etcd (重要 做高可用集群)`): the name alone, when
                        // the notes speak of it again.
                        let latin = c[1].trim();
                        if is_term_like(latin) {
                            found.push(Found {
                                names: vec![latin.to_string()],
                                rule: "bilingual",
                                definition: def.clone(),
                                require: Some((latin.to_lowercase(), true, 3)),
                            });
                        }
                        continue;
                    }
                    found.push(Found {
                        names: vec![c[1].trim().to_string(), zh],
                        rule: "bilingual",
                        definition: def.clone(),
                        require: None,
                    });
                }
                for c in LATIN_THEN_COMMAND.captures_iter(text) {
                    found.push(Found {
                        names: vec![c[1].trim().to_string(), c[2].to_string()],
                        rule: "bilingual",
                        definition: def.clone(),
                        require: None,
                    });
                }
            }
            // Names annotated in code (`kubelet  # 守护进程 负责…`), when the prose names them too.
            for line in section.code.lines().filter(|l| l.contains('#')) {
                if let Some(c) = ANNOTATED.captures(line)
                    && c[2].chars().count() >= 6
                {
                    found.push(Found {
                        names: vec![c[1].to_string()],
                        rule: "annotated",
                        definition: Some((format!("{}：{}", &c[1], c[2].trim()), at, 5)),
                        require: Some((c[1].to_string(), false, 1)),
                    });
                }
            }
            // Concepts compared in a table's header (`| 特性 | ENTRYPOINT | CMD |`), when the notes name them elsewhere too.
            for table in &section.tables {
                let cells: Vec<&String> = table.header.iter().skip(1).collect();
                if cells.len() >= 2
                    && cells
                        .iter()
                        .all(|c| is_term_like(c) && c.chars().count() <= 30)
                    && !cells.iter().any(|c| is_attribute_label(c))
                {
                    for cell in cells {
                        found.push(Found {
                            names: vec![cell.clone()],
                            rule: "table",
                            definition: None,
                            require: Some((cell.to_lowercase(), true, 2)),
                        });
                    }
                }
                // Concepts listed down a table whose first header says so (`| 核心概念 | 解释 |`),
                // each explained by the cell beside it.
                if table.header.first().is_some_and(|h| names_concepts(h)) {
                    for (name, beside) in table.first_column.iter().zip(&table.second_column) {
                        let Some(names) =
                            bracketed_names(name, |n| is_term_like(n) && n.chars().count() <= 30)
                        else {
                            continue;
                        };
                        // An explanation has words (not an address or a version number).
                        let Some(beside) = beside.as_ref().filter(|d| {
                            d.chars().count() >= 6
                                && d.chars().filter(|c| c.is_alphabetic()).count() >= 4
                        }) else {
                            continue;
                        };
                        found.push(Found {
                            names,
                            rule: "table",
                            definition: Some((format!("{}：{beside}", name.trim()), at, 9)),
                            require: None,
                        });
                    }
                }
            }
            {
                // Headings that name a concept; the section's first sentence defines it.
                let terms = heading_terms(&section.heading);
                if !terms.is_empty() {
                    let first = sentences_of
                        .iter()
                        .find(|s| s.chars().count() >= 8 && !s.ends_with(['？', '?', '：', ':']))
                        .map(|s| (s.to_string(), at, if terms.len() == 1 { 8 } else { 4 }));
                    for names in terms {
                        found.push(Found {
                            names,
                            rule: "heading",
                            definition: first.clone(),
                            require: None,
                        });
                    }
                }
            }
            // Bold terms followed by their definition.
            let defined: Vec<&str> = section
                .bold
                .iter()
                .filter(|(term, after)| {
                    let latin = term.is_ascii();
                    let defines = after.starts_with(['是', '指', '（', '('])
                        || (latin && after.starts_with(['：', ':']));
                    defines && is_term_like(term)
                })
                .map(|(term, _)| term.as_str())
                .collect();
            let first_sentences = first_sentences_with(&defined, sentences_of);
            for (term, first) in defined.iter().zip(first_sentences) {
                found.push(Found {
                    names: vec![(*term).to_string()],
                    rule: "bold",
                    definition: first.map(|i| (sentences_of[i].to_string(), at, 9)),
                    require: None,
                });
            }
            // Definition sentences.
            for sentence in sentences_of {
                if let Some(term) = definition_subject(sentence)
                    && sentence.chars().count() >= term.chars().count() + 6
                {
                    found.push(Found {
                        require: Some((term.clone(), false, 2)),
                        names: vec![term],
                        rule: "definition",
                        definition: Some((sentence.to_string(), at, 10)),
                    });
                }
            }
            // Kinds and fields of the API named in prose.
            let mut lower = String::new();
            for_each_latin_token(&section.prose, |word| {
                if word.len() < 3 {
                    return;
                }
                lower.clear();
                lower.push_str(word);
                lower.make_ascii_lowercase();
                if let Some(kind) = kinds.get(lower.as_str()) {
                    found.push(Found {
                        names: vec![(*kind).to_string()],
                        rule: "kind",
                        definition: None,
                        require: None,
                    });
                } else if word.len() >= 6
                    && word.chars().skip(1).any(|c| c.is_ascii_uppercase())
                    && word.starts_with(|c: char| c.is_ascii_lowercase())
                    && s.is_field_name(word)
                {
                    found.push(Found {
                        names: vec![word.to_string()],
                        rule: "field",
                        definition: None,
                        require: None,
                    });
                }
            });
            found
        })
        .collect();
    keep_required(per_section.into_iter().flatten().collect(), &texts)
}

/// For each term, the first of `sentences` that contains it. Many terms are looked for in one
/// pass over the sentences, so a section with thousands of them takes no time squared.
fn first_sentences_with(terms: &[&str], sentences: &[&str]) -> Vec<Option<usize>> {
    if terms.len() <= 8 {
        return terms
            .iter()
            .map(|term| sentences.iter().position(|s| s.contains(term)))
            .collect();
    }
    // Automatons of a few thousand terms each: building one takes time squared in the number of
    // terms that start others (`Term1`, `Term10`, `Term100`...).
    const CHUNK: usize = 4096;
    let mut first = vec![None; terms.len()];
    for (chunk, chunk_terms) in terms.chunks(CHUNK).enumerate() {
        let Ok(automaton) = aho_corasick::AhoCorasick::new(chunk_terms) else {
            continue;
        };
        let first = &mut first[chunk * CHUNK..];
        let mut missing = chunk_terms.len();
        for (i, sentence) in sentences.iter().enumerate() {
            for m in automaton.find_overlapping_iter(*sentence) {
                let slot = &mut first[m.pattern().as_usize()];
                if slot.is_none() {
                    *slot = Some(i);
                    missing -= 1;
                }
            }
            if missing == 0 {
                break;
            }
        }
    }
    first
}

/// The names whose rule asks for more mentions in the prose than they have are left out. All
/// texts are counted in one pass over the prose.
fn keep_required(found: Vec<Found>, texts: &[&str]) -> Vec<Found> {
    use aho_corasick::{AhoCorasick, MatchKind};
    // Occurrences of each term in all the texts (lower-cased first when `lower`).
    let count_in = |terms: Vec<&str>, lower: bool| -> HashMap<String, usize> {
        let terms: Vec<&str> = terms.into_iter().filter(|t| !t.is_empty()).collect();
        // Lower-case terms are found in any ASCII case; other letters are lowered first. A few
        // thousand terms make a small DFA, faster than the NFA on every byte of the book.
        let Ok(ac) = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .ascii_case_insensitive(lower)
            .build(&terms)
        else {
            return HashMap::default();
        };
        let counts = texts
            .par_iter()
            .fold(
                || vec![0usize; terms.len()],
                |mut counts, text| {
                    let lowered;
                    let text = if lower && !lowers_as_ascii(text) {
                        lowered = to_lowercase(text);
                        lowered.as_str()
                    } else {
                        text
                    };
                    for m in ac.find_overlapping_iter(text) {
                        counts[m.pattern().as_usize()] += 1;
                    }
                    counts
                },
            )
            .reduce(
                || vec![0usize; terms.len()],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            );
        terms
            .iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| ((*t).to_string(), n))
            .collect()
    };
    let mut exact: Vec<&str> = Vec::new();
    let mut lower: Vec<&str> = Vec::new();
    for f in &found {
        match &f.require {
            Some((t, false, _)) => exact.push(t),
            Some((t, true, _)) => lower.push(t),
            None => {}
        }
    }
    exact.sort();
    exact.dedup();
    lower.sort();
    lower.dedup();
    let (exact_counts, lower_counts) =
        rayon::join(|| count_in(exact, false), || count_in(lower, true));
    found
        .into_iter()
        .filter(|f| match &f.require {
            None => true,
            Some((t, is_lower, min)) => {
                let counts = if *is_lower {
                    &lower_counts
                } else {
                    &exact_counts
                };
                counts.get(t).copied().unwrap_or(0) >= *min
            }
        })
        .collect()
}

/// Union-find over name keys. Two groups that each have Latin names, none shared, stay apart
/// unless the link between them is certain (an abbreviation, a kind's short name, the user's file):
/// a Chinese name shared by two English terms is more likely a loose translation than one concept.
struct Groups {
    parent: HashMap<String, String>,
    latin: HashMap<String, HashSet<String>>,
}

impl Groups {
    fn find(&mut self, key: &str) -> String {
        let mut k = key.to_string();
        let mut path = Vec::new();
        while let Some(p) = self.parent.get(&k) {
            if *p == k {
                break;
            }
            path.push(k.clone());
            k = p.clone();
        }
        for p in path {
            self.parent.insert(p, k.clone());
        }
        if !self.parent.contains_key(&k) {
            self.parent.insert(k.clone(), k.clone());
            if k.is_ascii() {
                self.latin.entry(k.clone()).or_default().insert(k.clone());
            }
        }
        k
    }

    fn union(&mut self, a: &str, b: &str, certain: bool) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let la = self.latin.get(&ra).cloned().unwrap_or_default();
        let lb = self.latin.get(&rb).cloned().unwrap_or_default();
        if !certain && !la.is_empty() && !lb.is_empty() && la.is_disjoint(&lb) {
            return;
        }
        let (keep, drop) = if ra < rb { (ra, rb) } else { (rb, ra) };
        let moved = self.latin.remove(&drop).unwrap_or_default();
        self.latin.entry(keep.clone()).or_default().extend(moved);
        self.parent.insert(drop, keep);
    }
}

/// The index letter and sort key of a term: Latin letters as they are, Chinese by pinyin.
fn sort_key(term: &str) -> (String, String) {
    use pinyin::ToPinyin;
    let mut key = String::new();
    for c in term.chars() {
        match c.to_pinyin() {
            Some(p) => {
                key.push_str(p.plain());
                key.push(' ');
            }
            None => key.extend(c.to_lowercase()),
        }
    }
    let letter = key
        .chars()
        .find(|c| c.is_alphanumeric())
        .filter(|c| c.is_ascii_alphabetic())
        .map_or("#".to_string(), |c| c.to_ascii_uppercase().to_string());
    (letter, key)
}

/// Build the glossary of the corpus, with the user's entries merged in.
pub fn build(corpus: &Corpus, user: &[UserEntry]) -> Vec<Entry> {
    let sentences_of = sentences_of(corpus);
    let found = find_names(corpus, &sentences_of);
    let sections: Vec<(SectionRef, &super::SectionText)> = corpus.sections().collect();
    let mut groups = Groups {
        parent: HashMap::default(),
        latin: HashMap::default(),
    };
    // Display forms of each key, with how often each was found.
    let mut forms: HashMap<String, BTreeMap<String, usize>> = HashMap::default();
    let mut rules: HashMap<String, HashSet<&'static str>> = HashMap::default();
    // The key and display form of each name that may be a term, found in parallel.
    // An English term and its abbreviation are one concept for certain.
    let named: Vec<(Vec<(String, &str)>, bool)> = found
        .par_iter()
        .map(|f| {
            let names = f
                .names
                .iter()
                .filter(|n| is_term_like(n))
                .map(|n| (norm(n), n.trim()))
                .collect();
            let certain = f.names.len() == 2 && f.names.iter().all(|n| n.is_ascii());
            (names, certain)
        })
        .collect();
    let mut partners: HashMap<&str, HashSet<&str>> = HashMap::default();
    for (f, (names, _)) in found.iter().zip(&named) {
        if let ([(a, _), (b, _)], "bilingual") = (names.as_slice(), f.rule) {
            partners.entry(a).or_default().insert(b);
            partners.entry(b).or_default().insert(a);
        }
    }
    let hubs: HashSet<&str> = partners
        .into_iter()
        .filter(|(_, p)| p.len() > MAX_PARTNERS)
        .map(|(k, _)| k)
        .collect();
    let mut add_names =
        |names: &[(String, &str)], certain: bool, rule: &'static str, groups: &mut Groups| {
            let keys: Vec<String> = names
                .iter()
                .map(|(key, form)| {
                    *forms
                        .entry(key.clone())
                        .or_default()
                        .entry((*form).to_string())
                        .or_default() += 1;
                    rules.entry(key.clone()).or_default().insert(rule);
                    key.clone()
                })
                .collect();
            for k in &keys {
                groups.find(k);
            }
            let joins = certain || !keys.iter().any(|k| hubs.contains(k.as_str()));
            for w in keys.windows(2).filter(|_| joins) {
                groups.union(&w[0], &w[1], certain);
            }
            keys
        };
    let mut definitions: Vec<(String, String, SectionRef, i32)> = Vec::new();
    for (f, (names, certain)) in found.iter().zip(&named) {
        let keys = add_names(names, *certain, f.rule, &mut groups);
        if let (Some((sentence, at, score)), Some(first)) = (&f.definition, keys.first()) {
            definitions.push((first.clone(), sentence.clone(), *at, *score));
        }
    }
    // Short names join their kinds when the notes use them (as a Latin word, in any case).
    let wanted: Vec<(&str, &str)> = SHORT_NAMES
        .iter()
        .copied()
        .filter(|(_, kind)| forms.contains_key(&norm(kind)))
        .collect();
    let used: HashSet<&str> = if wanted.is_empty() {
        HashSet::default()
    } else {
        corpus
            .chapters
            .par_iter()
            .flat_map_iter(|c| c.iter())
            .map(|s| {
                let mut used = HashSet::default();
                for text in [&s.prose, &s.code] {
                    for_each_latin_token(text, |token| {
                        if let Some((short, _)) = wanted
                            .iter()
                            .find(|(short, _)| short.eq_ignore_ascii_case(token))
                        {
                            used.insert(*short);
                        }
                    });
                }
                used
            })
            .reduce(HashSet::default, |mut a, b| {
                a.extend(b);
                a
            })
    };
    for (short, kind) in wanted {
        if used.contains(short) {
            let key = norm(kind);
            let k = norm(short);
            forms
                .entry(k.clone())
                .or_default()
                .entry(short.to_string())
                .or_default();
            groups.union(&key, &k, true);
        }
    }
    let mut user_keys: Vec<(String, &UserEntry)> = Vec::new();
    for u in user {
        let names: Vec<String> = std::iter::once(u.term.clone())
            .chain(u.aliases.iter().cloned())
            .collect();
        let keys: Vec<String> = names
            .iter()
            .filter(|n| !n.trim().is_empty())
            .map(|n| {
                let key = norm(n);
                forms
                    .entry(key.clone())
                    .or_default()
                    .entry(n.trim().to_string())
                    .or_insert(1000);
                rules.entry(key.clone()).or_default().insert("user");
                key
            })
            .collect();
        for w in keys.windows(2) {
            groups.union(&w[0], &w[1], true);
        }
        if let Some(k) = keys.first() {
            groups.find(k);
            user_keys.push((k.clone(), u));
        }
    }

    // Members of each group.
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let keys: Vec<String> = forms.keys().cloned().collect();
    for k in keys {
        let root = groups.find(&k);
        members.entry(root).or_default().push(k);
    }
    let user_by_root: HashMap<String, &UserEntry> = user_keys
        .iter()
        .map(|(k, u)| (groups.find(k), *u))
        .collect();

    // Names of each group, most used display form first.
    struct Draft {
        names: Vec<String>,
        rules: Vec<&'static str>,
        user: Option<UserEntry>,
        root: String,
    }
    let mut drafts: Vec<Draft> = Vec::new();
    for (root, mut keys) in members {
        keys.sort();
        let mut names = Vec::new();
        let mut rule_set: Vec<&'static str> = Vec::new();
        for k in &keys {
            let f = &forms[k];
            // The display form found most often; ties go to the one with capitals.
            if let Some((form, _)) = f
                .iter()
                .max_by_key(|(form, n)| (**n, form.chars().filter(|c| c.is_uppercase()).count()))
            {
                names.push(form.clone());
            }
            if let Some(r) = rules.get(k) {
                rule_set.extend(r.iter().copied());
            }
        }
        rule_set.sort();
        rule_set.dedup();
        drafts.push(Draft {
            names,
            rules: rule_set,
            user: user_by_root.get(&root).map(|u| (*u).clone()),
            root,
        });
    }

    // Mentions of every name, to find the sections and the usual name. Building the matcher
    // takes one core: the other finds the best definitions and the sections' headings meanwhile.
    let (matcher, (best_def, bare_def, heading_keys)) = rayon::join(
        || {
            Matcher::new(
                drafts
                    .iter()
                    .enumerate()
                    .flat_map(|(i, d)| d.names.iter().map(move |n| (n.clone(), i))),
            )
        },
        || {
            let root_of: HashMap<String, usize> = drafts
                .iter()
                .enumerate()
                .map(|(i, d)| (d.root.clone(), i))
                .collect();
            let mut best_def: Vec<Option<(i32, String, SectionRef)>> = vec![None; drafts.len()];
            // Sentences that say only the term's name: a definition when nothing else is found.
            let mut bare_def: Vec<Option<(i32, String, SectionRef)>> = vec![None; drafts.len()];
            for (key, sentence, at, score) in definitions {
                let Some(&i) = root_of.get(&groups.find(&key)) else {
                    continue;
                };
                if sentence.ends_with(['？', '?']) {
                    continue;
                }
                let len = sentence.chars().count() as i32;
                let score = score * 10 - (len - 80).max(0) / 10;
                let best = if only_names(&sentence, &drafts[i].names) {
                    &mut bare_def[i]
                } else {
                    &mut best_def[i]
                };
                if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                    *best = Some((score, sentence, at));
                }
            }

            // Each section's heading as a key (see `norm`), to tell the sections that explain a term.
            let heading_keys: Vec<Vec<Option<String>>> = corpus
                .chapters
                .par_iter()
                .map(|c| {
                    c.iter()
                        .map(|s| (!s.heading.is_empty()).then(|| norm(&bare_heading(&s.heading))))
                        .collect()
                })
                .collect();
            (best_def, bare_def, heading_keys)
        },
    );
    // Each section's matches, by name: a match differs from its name only in ASCII case, so
    // it counts under the name's key.
    let found: Vec<Vec<usize>> = sections
        .par_iter()
        .map(|&(_, section)| matcher.find_names(&section.prose_with_code))
        .collect();
    let (mentions, name_counts) = rayon::join(
        || {
            let mut mentions: Vec<Vec<SectionRef>> = vec![Vec::new(); drafts.len()];
            let mut last: Vec<Option<usize>> = vec![None; drafts.len()];
            for (s, names) in found.iter().enumerate() {
                for &name in names {
                    let entry = matcher.name(name).1;
                    if last[entry] != Some(s) {
                        last[entry] = Some(s);
                        mentions[entry].push(sections[s].0);
                    }
                }
            }
            mentions
        },
        || {
            let mut hits = vec![0usize; matcher.name_count()];
            for &name in found.iter().flatten() {
                hits[name] += 1;
            }
            let mut name_counts: Vec<HashMap<String, usize>> =
                vec![HashMap::default(); drafts.len()];
            for (i, &n) in hits.iter().enumerate() {
                if n > 0 {
                    let (name, entry) = matcher.name(i);
                    *name_counts[entry].entry(norm(name)).or_default() += n;
                }
            }
            name_counts
        },
    );

    // Entries are made in parallel, then given their ids in order.
    let made: Vec<Option<Entry>> = drafts
        .into_par_iter()
        .enumerate()
        .map(|(i, d)| -> Option<Entry> {
            let counts = &name_counts[i];
            let mut names = d.names.clone();
            // The usual name heads the entry: most mentioned, then longest.
            names.sort_by(|a, b| {
                let (ca, cb) = (
                    counts.get(&norm(a)).copied().unwrap_or(0),
                    counts.get(&norm(b)).copied().unwrap_or(0),
                );
                cb.cmp(&ca)
                    .then(b.chars().count().cmp(&a.chars().count()))
                    .then(a.cmp(b))
            });
            let quoted = |(_, s, at): &(i32, String, SectionRef)| {
                (quote(with_inline_code(s, corpus.section(*at))), Some(*at))
            };
            let mut definition = best_def[i].as_ref().map(quoted);
            if definition.is_none() {
                // A sentence that starts with or names the term.
                definition = first_mention_sentence(corpus, &sentences_of, &mentions[i], &names)
                    .or_else(|| bare_def[i].as_ref().map(quoted));
            }
            let mut term = names[0].clone();
            let mut aliases: Vec<String> = names[1..].to_vec();
            if let Some(u) = &d.user {
                let user_names: Vec<String> = std::iter::once(u.term.clone())
                    .chain(u.aliases.iter().cloned())
                    .collect();
                term = u.term.trim().to_string();
                aliases = user_names[1..]
                    .iter()
                    .map(|a| a.trim().to_string())
                    .collect();
                for n in &names {
                    if !user_names.iter().any(|u| norm(u) == norm(n)) {
                        aliases.push(n.clone());
                    }
                }
                if let Some(def) = &u.definition {
                    definition = Some((def.trim().to_string(), None));
                }
            }
            let (definition, defined_at) = definition?;
            let name_keys: Vec<String> = names.iter().map(|n| norm(n)).collect();
            let mut explained_in = Vec::new();
            let mut mentioned_in = Vec::new();
            for at in &mentions[i] {
                let names_heading = heading_keys[at.chapter][at.section]
                    .as_ref()
                    .is_some_and(|key| name_keys.iter().any(|n| key.contains(n.as_str())));
                if names_heading {
                    explained_in.push(*at);
                } else {
                    mentioned_in.push(*at);
                }
            }
            if explained_in.is_empty() && mentioned_in.is_empty() && d.user.is_none() {
                return None;
            }
            let (letter, _) = sort_key(&term);
            Some(Entry {
                id: String::new(),
                term,
                aliases,
                definition,
                defined_at,
                explained_in,
                mentioned_in,
                letter,
                rules: d.rules,
            })
        })
        .collect();
    let mut ids = crate::slug::UniqueIds::default();
    let mut entries = Vec::new();
    for mut entry in made.into_iter().flatten() {
        entry.id = ids.unique(&crate::slug::slugify(&entry.term));
        entries.push(entry);
    }
    entries.sort_by_cached_key(|e| {
        let (letter, key) = sort_key(&e.term);
        (letter == "#", letter, key, e.term.clone())
    });
    entries
}

/// The first sentence of the mentioning sections that names the term, preferring one that starts with it.
fn first_mention_sentence(
    corpus: &Corpus,
    sentences_of: &SentencesOf<'_>,
    at: &[SectionRef],
    names: &[String],
) -> Option<(String, Option<SectionRef>)> {
    let mut best: Option<(i32, String, SectionRef)> = None;
    let names: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    // The lower-case names, leftmost first, in any ASCII case: in a sentence whose lower case
    // differs only in ASCII letters, a match is where the name is in the lower-cased sentence.
    let automaton = aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .ascii_case_insensitive(true)
        .build(&names)
        .ok()?;
    for &r in at {
        for &s in &sentences_of[r.chapter][r.section] {
            let lowered;
            let text = if lowers_as_ascii(s) {
                s
            } else {
                lowered = to_lowercase(s);
                &lowered
            };
            let Some(pos) = first_mention(&automaton, text) else {
                continue;
            };
            let len = s.chars().count() as i32;
            if len < 8 || s.ends_with(['？', '?']) {
                continue;
            }
            let mut score = if pos == 0 { 20 } else { 0 } - (len - 80).abs() / 10;
            if only_names(s, &names) {
                // Only when no sentence says more.
                score -= 1000;
            }
            if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                best = Some((score, s.to_string(), r));
            }
        }
    }
    best.map(|(_, s, r)| (quote(with_inline_code(&s, corpus.section(r))), Some(r)))
}

/// Where `automaton` first finds a name in `text` standing as a word of its own: a Latin name
/// inside a longer word (`Webhook` in `MutatingWebhookConfiguration`) is not a mention of it.
fn first_mention(automaton: &aho_corasick::AhoCorasick, text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let word = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_alphanumeric);
    automaton
        .find_iter(text)
        .find(|m| {
            let inside_before = m.start() > 0 && word(m.start()) && word(m.start() - 1);
            let inside_after = m.end() > 0 && word(m.end() - 1) && word(m.end());
            !inside_before && !inside_after
        })
        .map(|m| m.start())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_headers_are_told_from_concepts() {
        for label in [
            "说明",
            "主要职责",
            "适用场景",
            "组件名称",
            "Description",
            "默认值",
        ] {
            assert!(is_attribute_label(label), "{label}");
        }
        for concept in [
            "StatefulSet",
            "容灾方案",
            "生存探针(Liveness Probe)",
            "所在节点",
        ] {
            assert!(!is_attribute_label(concept), "{concept}");
        }
    }

    #[test]
    fn a_latin_name_inside_a_longer_word_is_not_a_mention() {
        let automaton = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(["webhook", "块存储"])
            .unwrap();
        assert_eq!(
            first_mention(&automaton, "mutatingwebhookconfiguration"),
            None
        );
        assert_eq!(first_mention(&automaton, "webhooks 与 webhook"), Some(13));
        assert_eq!(first_mention(&automaton, "动态webhook扩展"), Some(6));
        assert_eq!(first_mention(&automaton, "a_webhook"), Some(2));
        // Chinese has no spaces between words: any match is taken.
        assert_eq!(first_mention(&automaton, "一块存储空间"), Some(3));
    }

    #[test]
    fn the_first_sentence_with_each_term_is_found_for_few_terms_and_for_many() {
        let sentences = ["a Pod runs", "PodSpec and Pod", "Service", "x"];
        let few = ["Pod", "Service", "Node"];
        assert_eq!(
            first_sentences_with(&few, &sentences),
            [Some(0), Some(2), None]
        );
        // Many terms, repeated and overlapping, agree with looking for each in turn.
        let many = [
            "Pod", "PodSpec", "Spec", "Pod", "Service", "ice", "x", "Node", "a ", "runs", "Podx",
        ];
        let one_by_one: Vec<Option<usize>> = many
            .iter()
            .map(|t| sentences.iter().position(|s| s.contains(t)))
            .collect();
        assert_eq!(first_sentences_with(&many, &sentences), one_by_one);
        // More terms than one automaton takes.
        let names: Vec<String> = (0..5000).map(|i| format!("T{i}")).collect();
        let terms: Vec<&str> = names.iter().map(String::as_str).collect();
        let text: Vec<String> = (0..50)
            .map(|i| format!("T{} T{}", i * 97, 4999 - i))
            .collect();
        let sentences: Vec<&str> = text.iter().map(String::as_str).collect();
        let one_by_one: Vec<Option<usize>> = terms
            .iter()
            .map(|t| sentences.iter().position(|s| s.contains(t)))
            .collect();
        assert_eq!(first_sentences_with(&terms, &sentences), one_by_one);
    }

    #[test]
    fn latin_tokens_are_found_as_the_pattern_finds_them() {
        for text in [
            "kubectl get po -n kube-system",
            "3pv和PVC2个svc_x",
            "Ｐｏｄ ｓｖｃ é9ab",
            "",
            "9",
        ] {
            let mut tokens: Vec<String> = Vec::new();
            for_each_latin_token(text, |t| tokens.push(t.to_string()));
            static LATIN_TOKEN: LazyLock<Regex> =
                LazyLock::new(|| Regex::new(r"[A-Za-z][A-Za-z0-9]*").expect("valid regex"));
            let expected: Vec<String> = LATIN_TOKEN
                .find_iter(text)
                .map(|m| m.as_str().to_string())
                .collect();
            assert_eq!(tokens, expected, "{text}");
        }
    }

    /// Sentences read character by character, for reference.
    fn sentences_by_char(prose: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut start = 0;
        let mut chars = prose.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let end = match c {
                '\n' => Some(i),
                '。' | '！' | '？' | '；' => Some(i + c.len_utf8()),
                '.' | '!' | '?' if chars.peek().is_none_or(|(_, n)| n.is_whitespace()) => {
                    Some(i + 1)
                }
                _ => None,
            };
            if let Some(end) = end {
                let s = prose[start..end].trim();
                if !s.is_empty() {
                    out.push(s);
                }
                start = i + c.len_utf8();
            }
        }
        let s = prose[start..].trim();
        if !s.is_empty() {
            out.push(s);
        }
        out
    }

    fn section_of(html: &str) -> super::super::SectionText {
        let (prose, prose_with_code, code_gaps) = super::super::html::prose_and_gaps(html);
        super::super::SectionText {
            section: super::super::html::Section {
                id: String::new(),
                heading: String::new(),
                level: 0,
                heading_range: (0, 0),
                body_range: (0, html.len()),
            },
            heading: String::new(),
            prose,
            prose_with_code,
            code_gaps,
            code: String::new(),
            bold: Vec::new(),
            tables: Vec::new(),
        }
    }

    #[test]
    fn a_sentence_of_the_prose_gets_its_inline_code_back() {
        let section = section_of(
            "<p><code>JSON_OVERLAPS(a, b)</code> 函数检查重叠。<code>x</code> 是另一句。\
             使用 <code>subPath</code> 字段</p>\n<p>末尾是 <code>kubectl</code></p>\n\
             <p>没有代码的句子。</p>",
        );
        let restored: Vec<&str> = sentences(&section.prose)
            .into_iter()
            .map(|s| with_inline_code(s, &section))
            .collect();
        assert_eq!(
            restored,
            [
                "JSON_OVERLAPS(a, b) 函数检查重叠。",
                "x 是另一句。",
                "使用 subPath 字段",
                "末尾是 kubectl",
                "没有代码的句子。",
            ]
        );
        // Text made elsewhere (a table's cells) is left as it is.
        assert_eq!(with_inline_code("Chart：软件包", &section), "Chart：软件包");
        // Without inline code the prose is the text.
        let plain = section_of("<p>只有文字。</p>");
        assert_eq!(with_inline_code("只有文字。", &plain), "只有文字。");
    }

    #[test]
    fn a_sentence_that_is_only_a_name_says_nothing() {
        let names = ["matchExpressions".to_string(), "匹配表达式".to_string()];
        assert!(only_names("matchExpressions", &names));
        assert!(only_names("MatchExpressions：", &names));
        assert!(only_names("匹配表达式", &names));
        assert!(!only_names("matchExpressions 按表达式选择标签", &names));
    }

    #[test]
    fn sentences_end_at_marks_and_line_breaks() {
        assert_eq!(
            sentences("Pod 是最小单位。它运行容器！v1.2 版本？是的；\nA pod. Runs\u{3000}x!"),
            [
                "Pod 是最小单位。",
                "它运行容器！",
                "v1.2 版本？",
                "是的；",
                "A pod.",
                "Runs\u{3000}x!"
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn sentences_read_by_byte_agree_with_reading_by_character(
            prose in "[a .!?\n。！？；，中\u{3000}\u{e3}]{0,40}"
        ) {
            proptest::prop_assert_eq!(sentences(&prose), sentences_by_char(&prose));
        }
    }

    #[test]
    fn lower_casing_copies_chinese_and_agrees_with_the_standard_library() {
        for text in [
            "",
            "Pod 是 Kubernetes 中最小的调度单位。ConfigMap：配置",
            "ΟΔΟΣ 与 ΣΑΣ，Σ。İstanbul ＡＢＣ",
            "全部中文没有字母",
            "MixedCASE-only ASCII",
        ] {
            assert_eq!(to_lowercase(text), text.to_lowercase(), "{text}");
        }
    }

    #[test]
    fn text_lowers_as_ascii_only_when_no_other_letter_has_a_lower_case() {
        for (text, ascii) in [
            ("", true),
            ("Pod 是 Kubernetes 中最小的调度单位。ConfigMap：配置", true),
            ("“引号”…—·×é，（全角）", true),
            ("ΟΔΟΣ 与", false),
            ("İstanbul", false),
            ("全角ＡＢＣ", false),
            ("ǅ", false),
            ("Kelvin \u{212a}", false),
        ] {
            assert_eq!(lowers_as_ascii(text), ascii, "{text}");
            if ascii {
                assert_eq!(text.to_ascii_lowercase(), text.to_lowercase(), "{text}");
            }
        }
    }

    #[test]
    fn subjects_cut_from_a_phrase_are_not_terms() {
        // The part before `是` or `用于` where that verb ends a longer word or follows an adverb.
        for name in [
            "拆分但",
            "本节只",
            "仅适",
            "但前提",
            "仍然",
            "卷的核心",
            "后者",
            "更多",
        ] {
            assert!(!is_term_like(name), "{name}");
        }
        for name in [
            "只读副本",
            "还原",
            "适配器",
            "异常",
            "准入控制",
            "静态端口",
            "Pod 的 IP",
        ] {
            assert!(is_term_like(name), "{name}");
        }
        assert!(definition_subject("拆分但是不排序，详见 #9086").is_none());
        assert!(definition_subject("仅适用于 leader 的约束列表。").is_none());
        assert_eq!(
            definition_subject("准入控制是 API Server 的插件集合。").as_deref(),
            Some("准入控制")
        );
    }

    #[test]
    fn questions_pointers_counts_and_connectives_define_nothing() {
        // `是否` and `是不是` ask; they do not define.
        assert!(definition_subject("检测容器是否启动，启动之后才会探测。").is_none());
        assert!(definition_subject("优化器是不是会选这个索引，要看统计信息。").is_none());
        assert!(definition_subject("https://example.com/docs/k8s/pv.html").is_none());
        assert_eq!(
            definition_subject("kubelet: 在每个节点上运行的代理。").as_deref(),
            Some("kubelet")
        );
        assert_eq!(
            definition_subject("优化器是数据库里选择执行计划的组件。").as_deref(),
            Some("优化器")
        );
        // Words that point at a figure, counts of things and clauses led by a connective.
        for name in [
            "上述",
            "下表",
            "上图",
            "一类",
            "两种",
            "每个节点",
            "无论",
            "特别",
            "例如加索引",
            "如果你的集群",
        ] {
            assert!(!is_term_like(name), "{name}");
        }
        for name in ["一致性", "优化器", "上游", "下游集群", "特权容器"] {
            assert!(is_term_like(name), "{name}");
        }
    }

    #[test]
    fn an_abbreviation_fits_the_words_it_abbreviates() {
        assert_eq!(abbreviated("Time to live", "TTL"), Some("Time to live"));
        assert_eq!(
            abbreviated("Use Persistent Volume Claim", "PVC"),
            Some("Persistent Volume Claim")
        );
        assert_eq!(
            abbreviated("Role-Based Access Control", "RBAC"),
            Some("Role-Based Access Control")
        );
        assert_eq!(abbreviated("TTL", "GA"), None);
        assert_eq!(abbreviated("SQL Binding", "GA"), None);
        assert_eq!(abbreviated("Google Cloud KMS", "GA"), None);
    }

    #[test]
    fn names_merge_across_width_case_and_plural() {
        assert_eq!(norm("Persistent Volumes"), norm("PersistentVolume"));
        assert_eq!(norm("ＰＶ"), norm("pv"));
        assert_eq!(norm("Endpoints"), norm("endpoint"));
        assert_ne!(norm("Pod"), norm("Pods2"));
    }

    #[test]
    fn a_chinese_term_is_cut_from_the_words_before_it() {
        assert_eq!(han_tail("用于定义持久卷", false), None);
        assert_eq!(han_tail("无头服务", false).as_deref(), Some("无头服务"));
        assert_eq!(han_tail("的静态端口", false).as_deref(), Some("静态端口"));
        assert_eq!(han_tail("就绪探针", false).as_deref(), Some("就绪探针"));
        assert_eq!(
            han_tail("服务发现机制", true).as_deref(),
            Some("服务发现机制")
        );
        assert_eq!(han_tail("服务发现机制", false), None);
        // Not across a word that joins two parts of a clause.
        assert_eq!(han_tail("卷通过挂载", true).as_deref(), Some("挂载"));
        assert_eq!(han_tail("容器被终止", true).as_deref(), Some("终止"));
        assert_eq!(han_tail("称为混合搜索", false).as_deref(), Some("混合搜索"));
        assert_eq!(
            han_tail("网络或者存储插件", true).as_deref(),
            Some("存储插件")
        );
    }

    #[test]
    fn headings_name_concepts_but_not_questions() {
        assert_eq!(
            heading_terms("5.2.2 RS (ReplicaSet)"),
            [["RS", "ReplicaSet"]]
        );
        assert_eq!(heading_terms("无头服务"), [["无头服务"]]);
        assert_eq!(heading_terms("7.6 PV & PVC"), [["PV"], ["PVC"]]);
        assert_eq!(
            heading_terms("6.2.5 Headless Service(无头服务)"),
            [["Headless Service", "无头服务"]]
        );
        assert_eq!(
            heading_terms("8.3 污点(Taint) 和容忍 (Toleration)"),
            [["污点", "Taint"], ["容忍", "Toleration"]]
        );
        assert_eq!(heading_terms("10.1 Helm概念"), [["Helm"]]);
        assert!(heading_terms("pod的重启策略有哪些？").is_empty());
        assert!(heading_terms("概念").is_empty());
        assert!(heading_terms("4.1 什么是资源清单").is_empty());
    }

    #[test]
    fn questions_are_recognised() {
        for q in [
            "pod是什么？",
            "就绪探针与存活探针区别是什么？",
            "4.1 什么是资源清单",
            "k8s为什么要关闭swap",
            "How does it work",
            "简单讲一下 pod创建过程",
        ] {
            assert!(is_question(q), "{q}");
        }
        for h in [
            "ReplicaSet",
            "无头服务",
            "PV 和 PVC 的关系",
            "Showing results",
        ] {
            assert!(!is_question(h), "{h}");
        }
    }

    #[test]
    fn chinese_sorts_by_pinyin() {
        assert_eq!(sort_key("存活探针").0, "C");
        assert_eq!(sort_key("Pod").0, "P");
        assert!(sort_key("持久卷").1 < sort_key("存活探针").1);
        assert_eq!(sort_key("1号").0, "#");
    }
}
