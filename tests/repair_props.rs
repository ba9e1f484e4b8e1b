//! Property tests of the whole repair stage: never panics, idempotent, keeps every character of the note.

use proptest::prelude::*;
use studybook::repair::{detect, repair};

/// Lines in the style of pasted notes: prose, prompts, commands, manifests, comments, lists, tables.
fn note_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("下面是一个例子：".to_string()),
        Just("这样就完成了。".to_string()),
        Just("## 配置文件".to_string()),
        Just("2.1创建 PV".to_string()),
        Just("- 服务发现和负载均衡".to_string()),
        Just("  • 当前的 Volume 类型".to_string()),
        Just("| 特性 | StatefulSet | Deployment |".to_string()),
        Just("[root@master ~]# kubectl get pods".to_string()),
        Just("[root@master ~]# cd x[root@master x]# git init   #注释".to_string()),
        Just("$ docker ps".to_string()),
        Just("NAME   READY   STATUS".to_string()),
        Just("kubectl apply -f web.yaml".to_string()),
        Just("for i in 1 2 3; doecho $idone".to_string()),
        Just("apiVersion: v1".to_string()),
        Just("kind: Pod".to_string()),
        Just("metadata:name: myweb".to_string()),
        Just("spec:containers:- name: nginximage: myos:nginx".to_string()),
        Just("  - name: web".to_string()),
        Just("# 创建 namespace".to_string()),
        Just("```".to_string()),
        Just("```yaml".to_string()),
        Just("cat <<EOF > a.yaml".to_string()),
        Just("EOF".to_string()),
        "[a-z:# |{}\\-\\[\\]$一-龥]{0,30}",
    ]
}

fn note() -> impl Strategy<Value = String> {
    prop::collection::vec(note_line(), 0..24).prop_map(|lines| lines.join("\n"))
}

fn non_space(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether every character of `small` appears in `big` in the same order.
fn is_subsequence(small: &str, big: &str) -> bool {
    let mut chars = big.chars();
    small.chars().all(|c| chars.any(|b| b == c))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn repair_never_panics_on_any_text(text in "\\PC{0,400}") {
        let _ = repair(&text);
    }

    #[test]
    fn repair_never_panics_on_note_like_text(text in note()) {
        let _ = repair(&text);
    }

    #[test]
    fn fencing_code_is_idempotent(text in note()) {
        let once = detect::fence_code(&text).0;
        let twice = detect::fence_code(&once).0;
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn repair_is_idempotent(text in note()) {
        let once = repair(&text).body;
        let twice = repair(&once).body;
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn fencing_code_keeps_every_character(text in note()) {
        // These notes hold no gutter or label lines, the only things fencing may remove.
        let out = detect::fence_code(&text).0;
        prop_assert!(is_subsequence(&non_space(&text), &non_space(&out)), "lost characters:\n{}\n---\n{}", text, out);
    }

    #[test]
    fn repair_keeps_every_character(text in note()) {
        let out = repair(&text).body;
        prop_assert!(is_subsequence(&non_space(&text).replace('•', ""), &non_space(&out)), "lost characters:\n{}\n---\n{}", text, out);
    }
}

#[test]
fn gutters_and_labels_are_the_only_things_fencing_removes() {
    let text = "yml\n1 | apiVersion: v1 |\n2 | kind: Pod |\n";
    let out = detect::fence_code(text).0;
    assert_eq!(out, "```yaml truncated\napiVersion: v1\nkind: Pod\n```\n");
}
