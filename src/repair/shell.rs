//! Shell repair: split glued terminal sessions and glued scripts back into one command per line.
//!
//! Pasting a terminal session or a script into a note often drops newlines, so a prompt ends up
//! glued to the previous output (`...done[root@host ~]# docker ps`), a loop body to its header
//! (`;do[[ ... ]] && continuedocker tag ...done`) or a comment to the command it describes
//! (`# Install toolsgcloud components install kubectl`). The repairs here only ever insert line
//! breaks (and indentation) at places the shell grammar, the prompt syntax or the command
//! vocabulary make likely; they never drop or reorder a non-whitespace character. When a place
//! is doubtful it is left alone: a wrong split is worse than a missed one.

use rustc_hash::FxHashSet as HashSet;
use std::sync::OnceLock;

use regex::Regex;

use super::fix::Fix;

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/// Common command names of Unix, package managers, containers, Kubernetes and cloud CLIs.
const COMMANDS: &str = "\
    ls cd pwd cat echo printf continue break cp mv rm mkdir rmdir touch chmod chown chgrp ln find \
    grep egrep fgrep sed awk cut sort uniq wc head tail tee tr xargs less more diff patch tar gzip \
    gunzip zip unzip xz bzip2 curl wget ssh scp rsync sftp ping traceroute dig nslookup nc netstat \
    ss ip ifconfig route iptables ip6tables nft firewall-cmd systemctl journalctl service \
    chkconfig mount umount df du free top htop ps kill killall pkill pgrep uptime uname hostname \
    hostnamectl whoami id su sudo passwd useradd usermod userdel groupadd crontab date timedatectl \
    env export source alias unset set exec exit read sleep wait test true false which whereis type \
    history clear reboot shutdown poweroff lsblk blkid fdisk mkfs parted lvcreate pvcreate \
    vgcreate lsof strace tcpdump openssl base64 md5sum sha256sum jq yq vim vi nano stat realpath \
    dirname basename readlink mktemp seq watch nohup screen tmux make cmake gcc go python python3 \
    pip pip3 node npm npx yarn java mvn gradle ruby gem perl php composer dotnet cargo rustc git \
    svn bash sh zsh ksh dash modprobe sysctl swapoff swapon setenforce getenforce ulimit sestatus \
    semanage tc ipvsadm conntrack brctl ethtool nmap nmcli telnet dmesg lsmod lscpu lspci vmstat \
    iostat sar exportfs showmount ssh-keygen ssh-copy-id ssh-add sshpass htpasswd envsubst chronyc \
    ntpdate localectl update-alternatives update-ca-certificates logrotate install unalias declare \
    local return shift trap eval getent visudo chattr lsattr setfacl getfacl tree file xdg-open \
    open ab wrk iperf3 mtr arp ipcalc yum dnf apt apt-get apt-key apt-cache dpkg dpkg-query rpm \
    apk brew snap zypper pacman add-apt-repository yum-config-manager docker docker-compose podman \
    buildah skopeo crictl ctr nerdctl containerd runc kubectl kubeadm kubelet kube-proxy minikube \
    kind k3s k3d helm kustomize istioctl linkerd argo argocd flux skaffold kompose kubens kubectx \
    k9s velero etcd etcdctl cfssl cfssljson calicoctl cilium stern oc virtctl kubeseal kubeval \
    kubeconform helmfile cosign trivy dive hadolint tkn cmctl grpcurl draft operator-sdk \
    kubebuilder krew dockerd gcloud gsutil aws az eksctl terraform ansible ansible-playbook \
    vagrant packer doctl pulumi jupyter sysdig csysdig redis-cli redis-server mysql mysqldump psql \
    mongo mongosh nginx httpd apachectl keytool zkCli.sh
";

/// Command names that are also English words or common word endings: glued after a lowercase
/// letter they prove nothing (`steps`, `tools`, `reset`, `concat`).
const PROSE_COMMANDS: &str = "\
    set cat make find sort test time type date more less which watch read top install patch kill \
    wait true false source head tail file free stat open tree kind draft local shift trap clear \
    history service route mount touch sleep screen node go tee env dash ping dig ab id ip su ps ls \
    cd cp mv rm ln df du tr wc sh nc ss tc oc az vi xz jq yq eval unset arp flux argo gem etcd \
    dive
";

/// Dockerfile instructions; a Dockerfile is sometimes pasted as a "script".
const DOCKERFILE_WORDS: &str = "\
    FROM RUN CMD COPY ADD ENV ARG WORKDIR EXPOSE ENTRYPOINT USER VOLUME LABEL HEALTHCHECK SHELL \
    ONBUILD STOPSIGNAL MAINTAINER
";

/// Words that commonly follow a command name (`kubectl get`, `pip install`, `git clone`).
const SUBCOMMANDS: &str = "\
    install uninstall get apply create delete describe run build pull push tag clone init add \
    commit update upgrade remove start stop restart reload enable disable status logs exec config \
    login logout list ls rm rmi ps images inspect version set scale rollout expose edit label \
    annotate cp compose container network volume repo search show components compute iam projects \
    storage clusters checkout fetch merge rebase remote diff log notebook template lint package \
    dependency cluster secret configmap namespace deployment pods nodes svc top port-forward proxy \
    wait cordon drain taint auth certificate token join reset cache info save load import export \
    plan destroy validate key fingerprint makecache clean system image buildx context use-context \
    set-context api-resources api-versions explain patch replace attach
";

/// Commands that run the command given as their argument (`sudo csysdig`).
const WRAPPERS: &str = "sudo nohup exec time nice env watch xargs timeout command";

fn is_wrapper(word: &str) -> bool {
    WRAPPER_LIST.contains(word)
}

/// Shell reserved words.
const KEYWORDS: &str = "\
    if then else elif fi for while until do done case esac select function time { } ! [[
";

/// Builtins that end a command on their own, so a word glued after them starts a new command
/// (`continuedocker tag`). Keywords (`do[[`, `fifor`) are found from the shell structure.
const ENDING_WORDS: &str = "continue break return exit";

/// File extensions: a command glued after `name.ext` starts a new command.
const EXTENSIONS: &str = "\
    yaml yml json txt conf cfg ini toml xml sh bash py go js ts md tar gz tgz zip xz bz2 deb rpm \
    service socket timer repo list pem key crt csr cert log env properties git sql html php jar \
    war so ko img iso csv lock pub exe bin whl kubeconfig tpl j2 tf hcl
";

/// A list of whitespace-separated words, looked up in a set made on first use.
struct WordList {
    list: &'static str,
    set: OnceLock<HashSet<&'static str>>,
}

impl WordList {
    const fn new(list: &'static str) -> WordList {
        WordList {
            list,
            set: OnceLock::new(),
        }
    }

    fn contains(&self, word: &str) -> bool {
        self.set
            .get_or_init(|| self.list.split_whitespace().collect())
            .contains(word)
    }
}

static WRAPPER_LIST: WordList = WordList::new(WRAPPERS);
static KEYWORD_LIST: WordList = WordList::new(KEYWORDS);
static DOCKERFILE_LIST: WordList = WordList::new(DOCKERFILE_WORDS);
static ENDING_LIST: WordList = WordList::new(ENDING_WORDS);
static COMPOUND_START_LIST: WordList = WordList::new(COMPOUND_STARTS);
static EXTENSION_LIST: WordList = WordList::new(EXTENSIONS);
static COMMAND_LIST: WordList = WordList::new(COMMANDS);
static PROSE_COMMAND_LIST: WordList = WordList::new(PROSE_COMMANDS);
static SUBCOMMAND_LIST: WordList = WordList::new(SUBCOMMANDS);
static YAML_KEY_LIST: WordList = WordList::new(YAML_KEYS);

fn is_command_name(word: &str) -> bool {
    COMMAND_LIST.contains(word)
}

fn is_keyword(word: &str) -> bool {
    KEYWORD_LIST.contains(word)
}

/// Whether `word` is a Dockerfile instruction (`FROM`, `RUN`, …).
pub(crate) fn is_dockerfile_word(word: &str) -> bool {
    DOCKERFILE_LIST.contains(word)
}

/// `NAME=value`: a shell variable assignment.
fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A path to an executable: `./run.sh`, `../bin/x`, `/usr/bin/cp`, `hack/up.sh`.
fn is_path_command(word: &str) -> bool {
    if let Some(rest) = word.strip_prefix("./").or_else(|| word.strip_prefix("../")) {
        return rest
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
    }
    if word.starts_with('/') && word.len() > 1 {
        let last = word.rsplit('/').next().unwrap_or("");
        return is_command_name(last);
    }
    false
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FFFF)
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(is_cjk)
}

/// More CJK characters than ASCII letters and digits: prose, not code.
fn mostly_cjk(s: &str) -> bool {
    if s.is_ascii() {
        return false;
    }
    let (mut cjk, mut ascii) = (0usize, 0usize);
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            ascii += 1;
        } else if is_cjk(c) {
            cjk += 1;
        }
    }
    cjk > 0 && cjk >= ascii
}

/// The first shell word of `s`: up to whitespace or a control operator.
fn first_word(s: &str) -> &str {
    let s = s.trim_start();
    let end = s
        .find(|c: char| c.is_whitespace() || matches!(c, ';' | '|' | '&' | ')'))
        .unwrap_or(s.len());
    &s[..end]
}

/// True when `s` begins with something that can start a command: a command name, a keyword,
/// a test bracket, an assignment or a path to a program.
fn starts_command(s: &str) -> bool {
    let word = first_word(s);
    if word.is_empty() {
        return s.starts_with('(');
    }
    is_command_name(word)
        || is_keyword(word)
        || word == "["
        || (word == "." && s.trim_start()[1..].starts_with(' '))
        || is_assignment(word)
        || is_path_command(word)
        || word.starts_with("[[")
}

/// Keywords that start a compound command; glued after a word they start a new command.
const COMPOUND_STARTS: &str = "if for while until case";

/// Length in bytes of a shell prompt at the start of `line` (`$ `, `# ` only when followed by a
/// command-looking word, `[user@host dir]# `, `[user@host dir]$ `, `user@host:dir# `,
/// `user@host:~$ `, `root@host:/x# `...), or None.
pub fn prompt_len(line: &str) -> Option<usize> {
    if let Some(m) = line
        .starts_with('[')
        .then(|| bracket_prompt_re().find(line))
        .flatten()
        .filter(|m| m.start() == 0)
    {
        return Some(m.end());
    }
    if let Some(m) = line
        .contains('@')
        .then(|| colon_prompt_re().find(line))
        .flatten()
        .filter(|m| m.start() == 0)
    {
        return Some(m.end());
    }
    if let Some(m) = line
        .starts_with(['b', 's', 'z'])
        .then(|| versioned_shell_prompt_re().find(line))
        .flatten()
        .filter(|m| m.start() == 0)
    {
        return Some(m.end());
    }
    if let Some(rest) = line.strip_prefix('$') {
        return match rest.chars().next() {
            None => Some(1),
            Some(c) if c.is_whitespace() => Some(1 + c.len_utf8()),
            _ => None,
        };
    }
    if let Some(rest) = line.strip_prefix("# ") {
        let word = first_word(rest);
        let strong = is_command_name(word) && !PROSE_COMMAND_LIST.contains(word);
        // A command that is also an English word needs an argument only a command takes
        // (`# cat /etc/hosts`, `# ls -l`), not a heading's word (`# Install`).
        let proven = || {
            is_command_name(word)
                && rest[word.len()..]
                    .split_whitespace()
                    .next()
                    .is_some_and(|arg| {
                        arg.starts_with(['/', '~'])
                            || arg.starts_with("./")
                            || (arg.starts_with('-')
                                && arg[1..].starts_with(|c: char| c.is_ascii_alphabetic()))
                    })
        };
        if (strong || is_path_command(word) || proven()) && !mostly_cjk(rest) {
            return Some(2);
        }
    }
    None
}

fn bracket_prompt_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\[[\w.-]+@[\w.-]+(?:[ :][^\]\n\[]{0,80})?\][#$](?: |$)").expect("valid regex")
    })
}

fn colon_prompt_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^[\w.-]+@[\w.-]+:(?:[~/][^\s#$]{0,80})?[#$](?: |$)").expect("valid regex")
    })
}

fn versioned_shell_prompt_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(?:bash|sh|zsh)-\d+(?:\.\d+)*[#$](?: |$)").expect("valid regex")
    })
}

/// True when the line is most likely a shell command without prompt (starts with a known
/// command name, a shell keyword, a variable assignment, `./script` or `#!/bin/bash`). A line
/// mostly made of CJK characters is never a command.
pub fn looks_like_command(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() || mostly_cjk(t) {
        return false;
    }
    if t.starts_with("#!/") {
        return true;
    }
    let word = first_word(t);
    let word = word.strip_prefix('(').unwrap_or(word);
    is_command_name(word)
        || is_keyword(word)
        || word == "["
        || is_assignment(word)
        || is_path_command(word)
}

/// Where a command glued to the end of a comment line starts (`# List the filesgsutil ls gs://b`),
/// as a byte offset: the comment's text runs into a command name.
pub fn command_in_comment(line: &str) -> Option<usize> {
    if !line.trim_start().starts_with('#') {
        return None;
    }
    let sc = scan(line, &[]);
    let toks = tokens(&sc);
    let tok = toks.first().filter(|t| t.kind == TokKind::Comment)?;
    let split = comment_split(line, &sc, tok, &Ran::default())?;
    (split.rule == "glued-command").then_some(split.at)
}

/// Commands whose arguments name other commands or programs (`apt install curl`, `docker run
/// nginx`): a command name among their arguments does not start a new command.
const TAKES_COMMAND_NAMES: &str = "\
    sudo nohup exec time nice env watch xargs timeout command which type man whereis kubectl docker \
    podman crictl ctr ssh su chroot bash sh zsh apt apt-get yum dnf apk zypper pacman pip pip3 npm \
    yarn brew snap systemctl service helm install update-alternatives alias
";
static TAKES_COMMAND_NAMES_LIST: WordList = WordList::new(TAKES_COMMAND_NAMES);

/// Commands that take script files as arguments (`cp run.sh /opt`).
const TAKES_FILES: &str =
    "cp mv rm ln chmod chown cat source . bash sh ls tar scp rsync install diff test [ vi vim";
static TAKES_FILES_LIST: WordList = WordList::new(TAKES_FILES);

/// A script whose line breaks became spaces (`echo "wait" sleep 5 done` in a block scalar of a
/// flattened manifest), one command per line. A line ends:
/// - before a reserved word that closes or continues an open `if`, loop or `case` where only a
///   new command could hold it (`… sleep 5 done`), and after `then`, `do` and `else`;
/// - before a known command that follows a finished one and shows itself a command: an option
///   follows it, a quoted argument precedes it, or the script runs it elsewhere;
/// - before a comment after code, and after a Chinese comment where Latin code resumes.
///
/// One-liners keep their `;`: `for f in *; do echo $f; done` stays one line.
pub fn split_flat_script(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest = text.trim().to_string();
    let mut blocks: Vec<&'static str> = Vec::new();
    let ran = commands_at_line_start(&rest);
    for _ in 0..rest.len() + 1 {
        let tail = split_flat_segment(&rest, &ran, &mut blocks, &mut lines);
        match tail {
            Some(t) if !t.trim().is_empty() && t.len() < rest.len() => rest = t.trim().to_string(),
            _ => break,
        }
    }
    lines
}

/// The command names of a text that stand where a command starts (first word, after `;`, `&&`,
/// `|`), so that a later run of one among arguments is known as a command.
fn commands_at_line_start(text: &str) -> HashSet<String> {
    let sc = scan(text, &[]);
    let toks = tokens(&sc);
    let mut names = HashSet::default();
    let mut command_position = true;
    for tok in &toks {
        let word: String = sc.chars[tok.start..tok.end].iter().collect();
        match tok.kind {
            TokKind::Op => command_position = true,
            TokKind::Comment => break,
            TokKind::Word if command_position => {
                if !is_keyword(&word) {
                    names.insert(word);
                    command_position = false;
                }
            }
            TokKind::Word => {}
        }
    }
    names
}

/// Splits the start of `text` into lines (see [`split_flat_script`]), pushing them; returns the
/// text after a Chinese comment that code resumes after, to be read the same way.
fn split_flat_segment(
    text: &str,
    ran: &HashSet<String>,
    blocks: &mut Vec<&'static str>,
    lines: &mut Vec<String>,
) -> Option<String> {
    let sc = scan(text, &[]);
    let toks = tokens(&sc);
    let chars = &sc.chars;
    let piece = |from: usize, to: usize| -> String {
        chars[from..to]
            .iter()
            .collect::<String>()
            .trim()
            .to_string()
    };
    let mut line_start = 0;
    let mut name = String::new();
    let mut words = 0usize;
    let mut after_dashes = false;
    let mut prev_quoted = false;
    let mut k = 0;
    while k < toks.len() {
        let tok = toks[k];
        let word: String = chars[tok.start..tok.end].iter().collect();
        match tok.kind {
            TokKind::Op => {
                words = 0;
                name.clear();
                after_dashes = false;
                prev_quoted = false;
            }
            TokKind::Comment => {
                let before = piece(line_start, tok.start);
                if !before.is_empty() {
                    lines.push(before);
                }
                let comment: Vec<char> = chars[tok.start..].to_vec();
                return match code_after_chinese(&comment) {
                    Some(at) => {
                        lines.push(comment[..at].iter().collect::<String>().trim().to_string());
                        Some(comment[at..].iter().collect())
                    }
                    None => {
                        lines.push(comment.iter().collect::<String>().trim().to_string());
                        None
                    }
                };
            }
            TokKind::Word => {
                let closes = match word.as_str() {
                    "then" | "else" | "elif" | "fi" => blocks.last() == Some(&"if"),
                    "do" | "done" => blocks.last() == Some(&"loop"),
                    "esac" => blocks.last() == Some(&"case"),
                    _ => false,
                };
                let header = matches!(name.as_str(), "for" | "case" | "select");
                let next_text: String = toks
                    .get(k + 1)
                    .filter(|t| t.kind == TokKind::Word)
                    .map_or(String::new(), |t| chars[t.start..t.end].iter().collect());
                // A loop or `if` opening among a finished command's arguments (`echo "x" until curl …`).
                let opens = matches!(word.as_str(), "if" | "while" | "until" | "for" | "case")
                    && !header
                    && (prev_quoted
                        || is_command_name(&next_text)
                        || matches!(next_text.as_str(), "[" | "[[" | "!"));
                let command_here = words > 0
                    && !header
                    && !after_dashes
                    && !TAKES_COMMAND_NAMES_LIST.contains(&name)
                    && {
                        let option_follows = next_text.starts_with('-')
                            && next_text[1..]
                                .starts_with(|c: char| c.is_ascii_alphabetic() || c == '-');
                        let script_file = (word.starts_with('/') || word.starts_with("./"))
                            && word.ends_with(".sh")
                            && !TAKES_FILES_LIST.contains(&name);
                        // `INDEX=$X echo …`: a builtin that reads no environment after an assignment.
                        let after_assignment = words == 1
                            && is_assignment(&name)
                            && matches!(
                                word.as_str(),
                                "echo" | "printf" | "cd" | "export" | "set" | "exit" | "return"
                            );
                        script_file
                            || after_assignment
                            || is_command_name(&word)
                                && (option_follows
                                    || prev_quoted
                                    || (SUBCOMMAND_LIST.contains(&next_text)
                                        && !PROSE_COMMAND_LIST.contains(&word))
                                    || (ran.contains(&word) && !PROSE_COMMAND_LIST.contains(&word)))
                    };
                if ((closes || opens) && words > 0) || command_here {
                    lines.push(piece(line_start, tok.start));
                    line_start = tok.start;
                    words = 0;
                    name.clear();
                    after_dashes = false;
                }
                if words == 0 {
                    match word.as_str() {
                        "if" | "while" | "until" => {
                            blocks.push(if word == "if" { "if" } else { "loop" });
                        }
                        "for" | "select" => {
                            blocks.push("loop");
                            name = word.clone();
                            words = 1;
                        }
                        "case" => {
                            blocks.push("case");
                            name = word.clone();
                            words = 1;
                        }
                        "fi" | "done" | "esac" => {
                            blocks.pop();
                            name = word.clone();
                            words = 1;
                        }
                        "then" | "do" | "else" | "elif" | "!" => {}
                        _ => {
                            name = word.clone();
                            words = 1;
                        }
                    }
                    // A body starts on the next line, unless the block is a one-liner.
                    if matches!(word.as_str(), "then" | "do" | "else")
                        && k + 1 < toks.len()
                        && !one_liner(chars, &toks[k + 1..])
                    {
                        lines.push(piece(line_start, tok.end));
                        line_start = tok.end;
                    }
                } else {
                    words += 1;
                    if word == "--" {
                        after_dashes = true;
                    }
                    if word == "do" && header {
                        // `for x in a b do`: the `do` lost its `;` or its line.
                        words = 0;
                    }
                }
                prev_quoted = word.ends_with(['"', '\'']) && words > 1;
            }
        }
        k += 1;
    }
    let last = piece(line_start, chars.len());
    if !last.is_empty() {
        lines.push(last);
    }
    None
}

/// Whether the body starting at `toks` ends at a `done`, `fi` or `else` that a `;` or `&` puts
/// on the same line: `do gzip $f; done`.
fn one_liner(chars: &[char], toks: &[Tok]) -> bool {
    let mut depth = 0usize;
    let mut prev_op = false;
    for tok in toks {
        let word: String = chars[tok.start..tok.end].iter().collect();
        match (tok.kind, word.as_str()) {
            (TokKind::Comment, _) => return false,
            (TokKind::Op, _) => {
                prev_op = true;
                continue;
            }
            (_, "if" | "while" | "until" | "for" | "case") => depth += 1,
            (_, "done" | "fi" | "esac") if depth > 0 => depth -= 1,
            (_, "done" | "fi" | "else" | "elif") => return prev_op,
            _ => {}
        }
        prev_op = false;
    }
    false
}

/// Where Latin code resumes in a comment of Chinese text (`# 模拟失败 if [ $i -eq 0 ]`): the
/// start of a reserved word or a known command right after the last Chinese character.
fn code_after_chinese(comment: &[char]) -> Option<usize> {
    let last_cjk = comment.iter().rposition(|&c| is_cjk(c))?;
    let mut at = last_cjk + 1;
    while at < comment.len() && comment[at].is_whitespace() {
        at += 1;
    }
    let word: String = comment[at..]
        .iter()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let code = comment[at..].iter().collect::<String>();
    (comment[at..].iter().all(char::is_ascii)
        && (is_keyword(&word) || is_command_name(&word) || is_assignment(&word))
        && code.split_whitespace().count() >= 2)
        .then_some(at)
}

/// True when the text (one or more lines) contains at least one prompt that starts a command,
/// i.e. it is a terminal session.
pub fn is_session(text: &str) -> bool {
    let lines: Vec<&str> = crate::lines::lines(text).collect();
    let strong = lines.iter().any(|l| {
        let l = l.trim_start();
        bracket_prompt_re().is_match(l)
            || colon_prompt_re().is_match(l)
            || versioned_shell_prompt_re().is_match(l)
            || (l.starts_with('$') && prompt_len(l).is_some_and(|n| dollar_prompt_follows(&l[n..])))
    });
    strong || is_hash_session(&lines)
}

/// A session with bare `# ` prompts: some `# cmd` lines, and every other line is output.
fn is_hash_session(lines: &[&str]) -> bool {
    let mut learned = 0;
    for l in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        if l.starts_with('#') {
            if prompt_len(l).is_some() {
                learned += 1;
            }
        } else if looks_like_command(l) {
            return false;
        }
    }
    learned > 0
}

// ---------------------------------------------------------------------------------------------
// Lexical scan of one line: which characters are code, quoted, nested code or comment
// ---------------------------------------------------------------------------------------------

/// An open quoting or nesting construct, carried from one line to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frame {
    Single,
    Double,
    Back,
    Sub,
    Brace,
}

/// What a character is, as far as splitting is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Unquoted code at the top level.
    Top,
    /// Code inside `$(...)` or backticks.
    Sub,
    /// Inside quotes or `${...}`.
    Quoted,
    Comment,
}

struct Scanned {
    chars: Vec<char>,
    /// Byte offset of each char, plus the length of the line at the end.
    offs: Vec<usize>,
    class: Vec<Class>,
    end: Vec<Frame>,
}

impl Scanned {
    fn top(&self, i: usize) -> bool {
        self.class.get(i) == Some(&Class::Top)
    }

    fn code(&self, i: usize) -> bool {
        matches!(self.class.get(i), Some(Class::Top | Class::Sub))
    }

    fn comment_start(&self) -> Option<usize> {
        self.class.iter().position(|&c| c == Class::Comment)
    }
}

fn scan(line: &str, start: &[Frame]) -> Scanned {
    let chars: Vec<char> = line.chars().collect();
    let mut offs: Vec<usize> = line.char_indices().map(|(b, _)| b).collect();
    offs.push(line.len());
    let mut class = vec![Class::Top; chars.len()];
    let mut stack = start.to_vec();
    let mut i = 0;
    while i < chars.len() {
        i = match stack.last().copied() {
            Some(Frame::Single) => scan_single(&chars, i, &mut class, &mut stack),
            Some(Frame::Double) => scan_double(&chars, i, &mut class, &mut stack),
            Some(Frame::Brace) => scan_brace(&chars, i, &mut class, &mut stack),
            _ => scan_code(&chars, i, &mut class, &mut stack),
        };
    }
    Scanned {
        chars,
        offs,
        class,
        end: stack,
    }
}

fn scan_single(chars: &[char], i: usize, class: &mut [Class], stack: &mut Vec<Frame>) -> usize {
    class[i] = Class::Quoted;
    if chars[i] == '\'' {
        stack.pop();
    }
    i + 1
}

/// Opens `$(`, `${` or a backtick at `i`, if there is one; returns the next index.
fn open_nested(
    chars: &[char],
    i: usize,
    class: &mut [Class],
    stack: &mut Vec<Frame>,
) -> Option<usize> {
    let next = chars.get(i + 1).copied();
    match (chars[i], next) {
        ('$', Some('(')) => {
            class[i + 1] = Class::Sub;
            stack.push(Frame::Sub);
            Some(i + 2)
        }
        ('$', Some('{')) => {
            class[i] = Class::Quoted;
            class[i + 1] = Class::Quoted;
            stack.push(Frame::Brace);
            Some(i + 2)
        }
        ('`', _) if stack.last() != Some(&Frame::Back) => {
            class[i] = Class::Sub;
            stack.push(Frame::Back);
            Some(i + 1)
        }
        _ => None,
    }
}

fn scan_double(chars: &[char], i: usize, class: &mut [Class], stack: &mut Vec<Frame>) -> usize {
    class[i] = Class::Quoted;
    match chars[i] {
        '\\' => {
            if i + 1 < chars.len() {
                class[i + 1] = Class::Quoted;
            }
            i + 2
        }
        '"' => {
            stack.pop();
            i + 1
        }
        _ => open_nested(chars, i, class, stack).unwrap_or(i + 1),
    }
}

fn scan_brace(chars: &[char], i: usize, class: &mut [Class], stack: &mut Vec<Frame>) -> usize {
    class[i] = Class::Quoted;
    match chars[i] {
        '}' => {
            stack.pop();
            i + 1
        }
        '\'' => {
            stack.push(Frame::Single);
            i + 1
        }
        '"' => {
            stack.push(Frame::Double);
            i + 1
        }
        _ => open_nested(chars, i, class, stack).unwrap_or(i + 1),
    }
}

fn scan_code(chars: &[char], i: usize, class: &mut [Class], stack: &mut Vec<Frame>) -> usize {
    let here = if stack.is_empty() {
        Class::Top
    } else {
        Class::Sub
    };
    class[i] = here;
    let c = chars[i];
    if c == '\\' {
        if i + 1 < chars.len() {
            class[i + 1] = here;
        }
        return i + 2;
    }
    if let Some(next) = open_nested(chars, i, class, stack) {
        return next;
    }
    match c {
        '\'' => {
            class[i] = Class::Quoted;
            stack.push(Frame::Single);
        }
        '"' => {
            class[i] = Class::Quoted;
            stack.push(Frame::Double);
        }
        '`' => {
            stack.pop();
        }
        '(' if here == Class::Sub => stack.push(Frame::Sub),
        ')' if here == Class::Sub => {
            stack.pop();
        }
        '#' if here == Class::Top && starts_comment(chars, i) => {
            for k in class.iter_mut().skip(i) {
                *k = Class::Comment;
            }
            return chars.len();
        }
        _ => {}
    }
    i + 1
}

fn is_word_break(c: char) -> bool {
    c.is_whitespace() || matches!(c, ';' | '|' | '&' | '(' | ')')
}

/// A `#` that starts a comment: at the start of a word, or glued to a word but followed by
/// comment text (`kubectl get pv# 查看存储类`, `then# The installer`).
fn starts_comment(chars: &[char], i: usize) -> bool {
    if i == 0 || is_word_break(chars[i - 1]) {
        return true;
    }
    glued_comment_at(chars, i)
}

fn glued_comment_at(chars: &[char], i: usize) -> bool {
    let prev = chars[i - 1];
    if matches!(prev, '$' | '{' | '#' | '\\' | '[' | ']') {
        return false;
    }
    let strict = matches!(prev, '=' | '/' | ':' | '"' | '\'');
    let window = i.saturating_sub(MAX_NAME * 2);
    let word_start = chars[window..i]
        .iter()
        .rposition(|&c| c.is_whitespace())
        .map_or(window, |p| window + p + 1);
    if i - word_start < 2 {
        return false;
    }
    let word: String = chars[word_start..i].iter().collect();
    if word.contains("://") || word.chars().skip(1).any(|c| c == '#') {
        return false;
    }
    match chars.get(i + 1).copied() {
        Some(c) if c == ' ' || c == '\t' => chars.get(i + 2).is_some_and(|&d| !d.is_whitespace()),
        Some(c) if is_cjk(c) => true,
        Some(c) if c.is_ascii_alphabetic() && !strict => prose_follows(&chars[i + 1..]),
        _ => false,
    }
}

/// `Word more` after a `#`: a comment written without a space.
fn prose_follows(chars: &[char]) -> bool {
    let run = chars.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    run >= 2
        && chars.get(run) == Some(&' ')
        && chars.get(run + 1).is_some_and(|c| c.is_alphabetic())
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokKind {
    Word,
    Op,
    Comment,
}

/// A token as a range of char indices into a `Scanned` line.
#[derive(Clone, Copy, Debug)]
struct Tok {
    start: usize,
    end: usize,
    kind: TokKind,
}

fn is_top_op(sc: &Scanned, i: usize) -> bool {
    if !sc.top(i) || !matches!(sc.chars[i], ';' | '|' | '&' | '(' | ')') {
        return false;
    }
    // `2>&1`, `<&3`: the `&` belongs to a redirection.
    !(sc.chars[i] == '&' && i > 0 && matches!(sc.chars[i - 1], '>' | '<'))
}

fn tokens(sc: &Scanned) -> Vec<Tok> {
    let n = sc.chars.len();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < n {
        if sc.class[i] == Class::Comment {
            toks.push(Tok {
                start: i,
                end: n,
                kind: TokKind::Comment,
            });
            break;
        }
        if sc.top(i) && sc.chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let op = is_top_op(sc, i);
        let start = i;
        while i < n && sc.class[i] != Class::Comment && is_top_op(sc, i) == op {
            if !op && sc.top(i) && sc.chars[i].is_whitespace() {
                break;
            }
            i += 1;
        }
        let kind = if op { TokKind::Op } else { TokKind::Word };
        toks.push(Tok {
            start,
            end: i,
            kind,
        });
    }
    toks
}

// ---------------------------------------------------------------------------------------------
// Shell structure: open loops, conditionals, case statements, heredocs
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    /// `for`/`while`/`until`; `header` until its `do`.
    Loop {
        header: bool,
    },
    /// `if`; `cond` until its `then`.
    If {
        cond: bool,
    },
    Case(CasePart),
    Brace,
}

/// Where a `case` statement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CasePart {
    /// Before its word.
    Subject,
    /// Expecting `in`.
    In,
    /// Expecting a pattern list ending with `)`.
    Patterns,
    /// In the commands of an item, until `;;`.
    Body,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Heredoc {
    term: String,
    /// Format of the body, from its first line.
    format: Option<BodyFormat>,
}

/// What a heredoc body (or command output) is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BodyFormat {
    Json,
    Yaml,
    Ini,
    Other,
}

impl BodyFormat {
    fn of(first_line: &str) -> BodyFormat {
        let t = first_line.trim_start();
        if json_like(t) {
            BodyFormat::Json
        } else if t.starts_with("#!") {
            BodyFormat::Other
        } else if yaml_key_len(t).is_some() || t.starts_with("- ") || t == "---" {
            BodyFormat::Yaml
        } else if ini_like(t) {
            BodyFormat::Ini
        } else {
            BodyFormat::Other
        }
    }
}

/// Where a split happened and what the text after it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tail {
    /// A new command (or comment) line.
    Command,
    /// A continuation line of the same command (after a glued `\`).
    Continuation,
    /// A heredoc body line.
    Body,
    /// A new prompt (sessions).
    Prompt,
    /// Command output (sessions).
    Output,
}

#[derive(Clone, Copy, Debug)]
struct Split {
    /// Byte offset in the piece being examined.
    at: usize,
    rule: &'static str,
    tail: Tail,
}

/// What is allowed when looking for splits in a command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// A script: commands, keywords and comments may have been glued together.
    Script,
    /// A command after a prompt: only continuations, heredocs, comments, prompts and output.
    Session,
}

/// Parser state carried from one line to the next.
#[derive(Clone, Debug, Default)]
struct ShellState {
    frames: Vec<Frame>,
    blocks: Vec<Block>,
    /// The next word is in command position.
    cmdpos: bool,
    /// Heredocs announced on the current command line.
    pending: Vec<Heredoc>,
    /// Heredocs whose bodies are being read.
    bodies: Vec<Heredoc>,
    /// The current line continues the previous one (trailing `\` or an open quote).
    continued: bool,
    /// The command word of the current simple command and how many words followed it.
    cmd: Option<String>,
    nargs: usize,
    /// Shape of the output seen so far (tables).
    output: OutputCtx,
    /// After `function`: the next word is the function's name.
    func_name: bool,
}

impl ShellState {
    fn new() -> ShellState {
        ShellState {
            cmdpos: true,
            ..ShellState::default()
        }
    }

    fn depth(&self) -> usize {
        self.blocks.len()
    }

    fn loop_header(&self) -> bool {
        self.blocks.last() == Some(&Block::Loop { header: true })
    }

    fn in_loop_body(&self) -> bool {
        self.blocks.last() == Some(&Block::Loop { header: false })
    }

    fn if_cond(&self) -> bool {
        self.blocks.last() == Some(&Block::If { cond: true })
    }

    fn in_if_body(&self) -> bool {
        self.blocks.last() == Some(&Block::If { cond: false })
    }

    /// Does `kw` close or continue the innermost block?
    fn expects(&self, kw: &str) -> bool {
        match kw {
            "do" => self.loop_header(),
            "done" => self.in_loop_body(),
            "then" => self.if_cond(),
            "else" | "elif" | "fi" => self.in_if_body(),
            "esac" => matches!(self.case_part(), Some(CasePart::Patterns | CasePart::Body)),
            "in" => self.case_part() == Some(CasePart::In),
            "{" => self.cmdpos,
            "}" => self.blocks.last() == Some(&Block::Brace),
            _ => false,
        }
    }

    fn case_part(&self) -> Option<CasePart> {
        match self.blocks.last() {
            Some(Block::Case(part)) => Some(*part),
            _ => None,
        }
    }

    fn set_case_part(&mut self, part: CasePart) {
        if let Some(Block::Case(p)) = self.blocks.last_mut() {
            *p = part;
        }
    }

    /// Words of a `case` header or pattern list; true when the word was one.
    fn case_word(&mut self, w: &str) -> bool {
        match self.case_part() {
            Some(CasePart::Subject) => self.set_case_part(CasePart::In),
            Some(CasePart::In) if w == "in" => self.set_case_part(CasePart::Patterns),
            Some(CasePart::Patterns) if w == "esac" => {
                self.blocks.pop();
                self.cmdpos = false;
            }
            Some(CasePart::In | CasePart::Patterns) => {}
            _ => return false,
        }
        true
    }

    /// Updates the structure for one word.
    fn word(&mut self, w: &str) {
        if self.case_word(w) {
            return;
        }
        if self.func_name {
            // `function name {`: the body's brace is in command position.
            self.func_name = false;
            self.cmdpos = true;
            return;
        }
        if !self.cmdpos {
            self.nargs += 1;
            return;
        }
        self.cmdpos = false;
        if self.keyword(w) {
            return;
        }
        if is_assignment(w) || self.cmd.as_deref().is_some_and(is_wrapper) && w.starts_with('-') {
            self.cmdpos = true;
            return;
        }
        self.cmdpos = is_wrapper(w);
        self.cmd = Some(w.to_string());
        self.nargs = 0;
    }

    /// A reserved word in command position: opens, continues or closes a block. Returns false
    /// for any other word.
    fn keyword(&mut self, w: &str) -> bool {
        match w {
            "for" | "select" => self.blocks.push(Block::Loop { header: true }),
            "while" | "until" => self.blocks.push(Block::Loop { header: true }),
            "if" => self.blocks.push(Block::If { cond: true }),
            "case" => self.blocks.push(Block::Case(CasePart::Subject)),
            "{" => self.blocks.push(Block::Brace),
            "do" => self.set_top(Block::Loop { header: false }),
            "then" | "else" => self.set_top(Block::If { cond: false }),
            "elif" => self.set_top(Block::If { cond: true }),
            "done" => self.pop_block(|b| matches!(b, Block::Loop { .. })),
            "fi" => self.pop_block(|b| matches!(b, Block::If { .. })),
            "esac" => self.pop_block(|b| matches!(b, Block::Case(_))),
            "}" => self.pop_block(|b| *b == Block::Brace),
            "function" => self.func_name = true,
            "!" | "time" => {}
            _ => return false,
        }
        // After these a command follows at once.
        self.cmdpos = matches!(
            w,
            "while" | "until" | "if" | "{" | "do" | "then" | "else" | "elif" | "!" | "time"
        );
        true
    }

    /// Moves the innermost block to the state `to` (`do` after a loop header, `then` after a
    /// condition) when it is a block of that kind.
    fn set_top(&mut self, to: Block) {
        let Some(top) = self.blocks.last_mut() else {
            return;
        };
        if std::mem::discriminant(top) == std::mem::discriminant(&to) {
            *top = to;
        }
    }

    fn pop_block(&mut self, matches: impl Fn(&Block) -> bool) {
        if self.blocks.last().is_some_and(matches) {
            self.blocks.pop();
        }
    }

    fn op(&mut self, op: &str) {
        if op.contains(';') || op.contains('|') || op.contains('&') || op.contains('(') {
            self.cmdpos = true;
            self.cmd = None;
        }
        if op.contains(')') && self.case_part() == Some(CasePart::Patterns) {
            self.set_case_part(CasePart::Body);
            self.cmdpos = true;
        }
        if op.contains(";;") && self.case_part() == Some(CasePart::Body) {
            self.set_case_part(CasePart::Patterns);
        }
    }

    /// A heredoc operator in word `w` (or `<<` ending it, with the delimiter in `next`).
    fn heredoc_in(&mut self, w: &str, next: Option<&str>) {
        let Some(pos) = w.find("<<") else {
            return;
        };
        let after = &w[pos + 2..];
        if after.starts_with('<') {
            return;
        }
        let after = after.strip_prefix('-').unwrap_or(after);
        let raw = if after.is_empty() {
            next.unwrap_or("")
        } else {
            after
        };
        let term: String = raw
            .trim_matches(|c| c == '\'' || c == '"' || c == '\\')
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if !term.is_empty() {
            self.pending.push(Heredoc { term, format: None });
        }
    }

    /// The command line ended: start reading announced heredoc bodies.
    fn end_of_command_line(&mut self) {
        self.bodies.append(&mut self.pending);
    }
}

// ---------------------------------------------------------------------------------------------
// Finding the first split in a command line
// ---------------------------------------------------------------------------------------------

/// The first split found in `text` that is still found when the text is cut there: a rule
/// that sees the whole line may miss a place another rule finds in the shorter piece.
fn settled(text: &str, find: impl Fn(&str) -> Option<usize>) -> Option<usize> {
    let mut best = find(text).filter(|&p| p > 0 && p < text.len())?;
    while let Some(p) = find(&text[..best]).filter(|&p| p > 0 && p < best) {
        best = p;
    }
    Some(best)
}

/// The first split `find` reports, settled like [`settled`]; `st` ends as the run that found the
/// accepted split left it (or as the whole line left it when there is none).
fn settled_split(
    line: &str,
    st: &mut ShellState,
    find: impl Fn(&str, &mut ShellState) -> Option<Split>,
) -> Option<Split> {
    let mut trial = st.clone();
    let Some(mut best) = find(line, &mut trial) else {
        *st = trial;
        return None;
    };
    let mut best_state = trial;
    loop {
        let mut trial = st.clone();
        match find(&line[..best.at], &mut trial) {
            Some(s) if s.at > 0 && s.at < best.at => {
                best = s;
                best_state = trial;
            }
            _ => break,
        }
    }
    *st = best_state;
    Some(best)
}

/// Looks for the first place where `line` (a command line without prompt) should be broken,
/// updating `st` with the structure of the text before that place.
fn find_command_split(
    line: &str,
    st: &mut ShellState,
    mode: Mode,
    learned: &Learned,
) -> Option<Split> {
    let sc = scan(line, &st.frames);
    let toks = tokens(&sc);
    let positional = positional_split(line, &sc, st, mode, learned);
    let mut walk = Walk {
        line,
        sc: &sc,
        mode,
        limit: positional.map_or(line.len(), |s| s.at),
        heredoc_seen: !st.pending.is_empty(),
        pattern_here: false,
        commands: &learned.commands,
    };
    for (k, tok) in toks.iter().enumerate() {
        if sc.offs[tok.start] >= walk.limit {
            break;
        }
        let found = match tok.kind {
            TokKind::Op => walk.op(tok, st),
            TokKind::Comment => return walk.comment(tok).or(positional),
            TokKind::Word => walk.word(tok, toks.get(k + 1), st),
        };
        if found.is_some() {
            return found;
        }
    }
    positional
}

/// A walk through the tokens of one command line, looking for a split before `limit` (where a
/// split found by position already is).
struct Walk<'a> {
    line: &'a str,
    sc: &'a Scanned,
    mode: Mode,
    limit: usize,
    /// A heredoc was announced earlier on this command line.
    heredoc_seen: bool,
    /// A `case` pattern ended earlier on this line.
    pattern_here: bool,
    /// The commands the text runs on lines of their own.
    commands: &'a Ran,
}

impl<'a> Walk<'a> {
    /// The text of a token; a token reaching past `limit` counts only up to it.
    fn text(&self, tok: &Tok) -> &'a str {
        &self.line[self.sc.offs[tok.start]..self.sc.offs[tok.end].min(self.limit)]
    }

    fn op(&mut self, tok: &Tok, st: &mut ShellState) -> Option<Split> {
        let text = self.text(tok);
        let split = match self.mode {
            Mode::Script => case_op_split(self.sc, tok, st, self.pattern_here),
            Mode::Session => None,
        };
        if let Some(s) = split.filter(|s| s.at < self.limit) {
            if s.at > self.sc.offs[tok.start] {
                st.op(text);
            }
            return Some(s);
        }
        self.pattern_here |= text.contains(')') && st.case_part() == Some(CasePart::Patterns);
        st.op(text);
        None
    }

    fn comment(&self, tok: &Tok) -> Option<Split> {
        match self.mode {
            Mode::Script => comment_split(self.line, self.sc, tok, self.commands),
            Mode::Session => None,
        }
    }

    fn word(&mut self, tok: &Tok, next: Option<&Tok>, st: &mut ShellState) -> Option<Split> {
        let (line, sc) = (self.line, self.sc);
        let start = sc.offs[tok.start];
        let next = next.filter(|t| t.kind == TokKind::Word);
        let inner = if self.heredoc_seen {
            heredoc_head_split(line, sc, tok, st)
        } else {
            None
        };
        let in_patterns = st.case_part() == Some(CasePart::Patterns);
        let inner = inner.or_else(|| match self.mode {
            Mode::Script if !in_patterns => {
                word_split(line, sc, tok, st, next.is_some(), self.commands)
            }
            _ => None,
        });
        // Never inside quotes: the split must fall on unquoted code.
        let unquoted = |s: &Split| sc.top(sc.offs.partition_point(|&o| o < s.at));
        if let Some(s) = inner.filter(|s| s.at < self.limit && unquoted(s)) {
            self.take_word(&line[start..s.at], start, None, st);
            return Some(s);
        }
        let next_text = next
            .filter(|t| sc.offs[t.end] <= self.limit)
            .map(|t| &line[sc.offs[t.start]..sc.offs[t.end]]);
        self.take_word(self.text(tok), start, next_text, st);
        None
    }

    /// Updates the structure and the announced heredocs for a word.
    fn take_word(&mut self, text: &str, start: usize, next: Option<&str>, st: &mut ShellState) {
        st.word(text);
        if heredoc_op_at_top(self.sc, start, text) {
            st.heredoc_in(text, next);
        }
        self.heredoc_seen |= !st.pending.is_empty();
    }
}

/// `start|stop)if [`, `exit 0;;stop)`: a `case` pattern or `;;` glued to a command.
fn case_op_split(sc: &Scanned, tok: &Tok, st: &ShellState, pattern_here: bool) -> Option<Split> {
    let text: String = sc.chars[tok.start..tok.end].iter().collect();
    let part = st.case_part()?;
    let glued_before = tok.start > 0 && !sc.chars[tok.start - 1].is_whitespace();
    let glued_after = sc.chars.get(tok.end).is_some_and(|c| !c.is_whitespace());
    let split = |i: usize| Split {
        at: sc.offs[i],
        rule: "glued-keyword",
        tail: Tail::Command,
    };
    match part {
        CasePart::Body if text.starts_with(";;") && glued_before && !pattern_here => {
            Some(split(tok.start))
        }
        CasePart::Body if text.starts_with(";;") && glued_after => Some(split(tok.end)),
        CasePart::Patterns if text.ends_with(')') && glued_after => Some(split(tok.end)),
        _ => None,
    }
}

/// Is the `<<` of word `w` (starting at byte `start`) unquoted?
fn heredoc_op_at_top(sc: &Scanned, start: usize, w: &str) -> bool {
    w.find("<<").is_some_and(|p| {
        let ci = sc.offs.partition_point(|&o| o < start + p);
        sc.top(ci)
    })
}

/// Splits found by position rather than by word: glued continuation backslashes, glued
/// comments, glued prompts and glued output.
fn positional_split(
    line: &str,
    sc: &Scanned,
    st: &ShellState,
    mode: Mode,
    learned: &Learned,
) -> Option<Split> {
    let mut best: Option<Split> = None;
    let mut consider = |s: Option<Split>| {
        let inside = s.filter(|s| s.at > 0 && s.at < line.len());
        if let Some(s) = inside.filter(|s| best.is_none_or(|b| s.at < b.at)) {
            best = Some(s);
        }
    };
    consider(continuation_split(sc));
    consider(glued_comment_split(sc));
    if mode == Mode::Session {
        let prompt = learned.find_glued(line, Some(sc));
        consider(prompt.map(|at| Split {
            at,
            rule: "glued-prompt",
            tail: Tail::Prompt,
        }));
        if st.pending.is_empty() && !st.continued {
            let command = &line[..prompt.unwrap_or(line.len())];
            consider(output_after_command(command, sc));
            consider(variable_output_split(command, sc, &learned.variables));
        }
    }
    best
}

/// `cmd \--flag`, `clusters \create-auto`, `\$(kustomize ...)`, `--dry-run\| sed`: a line
/// continuation whose newline was lost.
fn continuation_split(sc: &Scanned) -> Option<Split> {
    let n = sc.chars.len();
    for i in 0..n {
        if sc.chars[i] != '\\' || !sc.code(i) {
            continue;
        }
        let next = sc.chars.get(i + 1).copied();
        let after = sc.chars.get(i + 2).copied();
        let spaced = i > 0
            && sc.chars[i - 1].is_whitespace()
            && sc.chars[..i].iter().any(|c| !c.is_whitespace());
        let starts_arg = match next {
            Some(c) if c.is_ascii_alphanumeric() => true,
            Some('-' | '~' | '.') => after.is_some_and(|c| !c.is_whitespace()),
            Some('/') => true,
            Some('[') => after.is_some_and(|c| c == ' ' || c == '['),
            Some('$') => matches!(after, Some('(' | '{')),
            _ => false,
        };
        let pipe = matches!(next, Some('|' | '&'))
            && after.is_none_or(|c| c.is_whitespace() || c == '&' || c == '|');
        if (spaced && starts_arg) || (i > 0 && pipe) {
            return Some(Split {
                at: sc.offs[i + 1],
                rule: "glued-continuation",
                tail: Tail::Continuation,
            });
        }
    }
    None
}

/// `kubectl get pv# 查看存储类`: a comment glued to the end of a command.
fn glued_comment_split(sc: &Scanned) -> Option<Split> {
    let i = sc.comment_start()?;
    if i == 0 || sc.chars[i - 1].is_whitespace() {
        return None;
    }
    Some(Split {
        at: sc.offs[i],
        rule: "glued-comment",
        tail: Tail::Command,
    })
}

/// Splits inside one word of a script: glued keywords and glued commands.
fn word_split(
    line: &str,
    sc: &Scanned,
    tok: &Tok,
    st: &ShellState,
    has_next_word: bool,
    commands: &Ran,
) -> Option<Split> {
    keyword_prefix_split(line, sc, tok, st)
        .or_else(|| keyword_suffix_split(line, sc, tok, st))
        .or_else(|| command_glue_split(line, sc, tok, st, has_next_word, commands))
}

/// `dogcloud compute ...`, `thenecho`, `do[[`, `fifor`, `{if`, `}complete`, `instart|stop)`:
/// a keyword with the next command glued to it.
fn keyword_prefix_split(line: &str, sc: &Scanned, tok: &Tok, st: &ShellState) -> Option<Split> {
    let start = sc.offs[tok.start];
    let word = &line[start..sc.offs[tok.end]];
    if st.expects("in") {
        return (word.len() > 2 && word.starts_with("in")).then_some(Split {
            at: start + 2,
            rule: "glued-keyword",
            tail: Tail::Command,
        });
    }
    if !st.cmdpos || is_command_name(word) || is_keyword(word) {
        return None;
    }
    let found = ["do", "then", "else", "fi", "done", "esac", "{", "}"]
        .into_iter()
        .find(|kw| {
            word.strip_prefix(kw).is_some_and(|rest| {
                !rest.is_empty()
                    && st.expects(kw)
                    && glued_after_keyword(kw, rest, &line[start + kw.len()..])
            })
        })?;
    Some(Split {
        at: start + found.len(),
        rule: "glued-keyword",
        tail: Tail::Command,
    })
}

/// Can `rest` (the part of a word after keyword `kw`) be a command glued to it?
fn glued_after_keyword(kw: &str, rest: &str, line_rest: &str) -> bool {
    if glued_start_ok(rest, line_rest) {
        return !(kw == "{" && is_brace_expansion(rest));
    }
    let opener = matches!(kw, "do" | "then" | "else" | "{");
    let ident_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    opener && rest.starts_with(|c: char| c.is_ascii_alphabetic()) && ident_len == rest.len()
}

/// `{a,b}`, `{1..9}`: a brace expansion, not a brace group.
fn is_brace_expansion(rest: &str) -> bool {
    let inner = rest.split('}').next().unwrap_or(rest);
    inner.contains(',') || inner.contains("..")
}

/// Can `rest` (the part of a word after a glued keyword) start a command?
fn glued_start_ok(rest: &str, line_rest: &str) -> bool {
    rest.starts_with("[[") || starts_command(line_rest)
}

/// `${t}done`, `-yfi`, `${instance}:~/done`, `${NODE_IPS[@]}doecho`, `return $STATUS}`: a
/// keyword glued to the end of the previous word.
fn keyword_suffix_split(line: &str, sc: &Scanned, tok: &Tok, st: &ShellState) -> Option<Split> {
    let word_end = sc.offs[tok.end];
    let line_ends = line[word_end..]
        .trim_start_matches([';', ' ', '\t'])
        .is_empty();
    let at = (tok.start + 1..tok.end)
        .filter(|&i| sc.top(i))
        .find(|&i| keyword_starts_at(line, sc, tok, i, st, line_ends))?;
    Some(Split {
        at: sc.offs[at],
        rule: "glued-keyword",
        tail: Tail::Command,
    })
}

/// Does a closing or opening keyword the structure expects start at char `i` of the word?
fn keyword_starts_at(
    line: &str,
    sc: &Scanned,
    tok: &Tok,
    i: usize,
    st: &ShellState,
    line_ends: bool,
) -> bool {
    let (at, word_end) = (sc.offs[i], sc.offs[tok.end]);
    let rest = &line[at..word_end];
    ["done", "fi", "esac", "do", "then", "else", "elif", "}"]
        .into_iter()
        .filter(|kw| st.expects(kw))
        .any(|kw| {
            let Some(after) = rest.strip_prefix(kw) else {
                return false;
            };
            let ends_word = after.is_empty() || after.starts_with(['>', '<']);
            let glued_cmd = !ends_word && glued_start_ok(after, &line[at + kw.len()..]);
            let context = KeywordContext {
                prev: sc.chars[i - 1],
                word: &line[sc.offs[tok.start]..at],
                strong: glued_cmd || (after.is_empty() && line_ends),
            };
            (ends_word || glued_cmd) && keyword_boundary_ok(kw, &context)
        })
}

/// What precedes a keyword glued to the end of a word.
struct KeywordContext<'a> {
    prev: char,
    /// The part of the word before the keyword.
    word: &'a str,
    /// The keyword ends the line or a known command is glued after it.
    strong: bool,
}

fn keyword_boundary_ok(kw: &str, k: &KeywordContext) -> bool {
    let prev = k.prev;
    let closing = matches!(prev, '}' | ')' | ']' | '"' | '\'' | '`');
    match kw {
        "do" | "then" => closing,
        "done" | "esac" => closing || prev.is_alphanumeric() || matches!(prev, '/' | '.' | '*'),
        "}" => !k.word.contains('{'),
        _ => {
            closing
                || k.word.starts_with('-')
                || prev.is_ascii_digit()
                || (k.strong && (prev.is_alphabetic() || prev == '/'))
        }
    }
}

/// How sure we are that a command name glued to a preceding word starts a new command.
#[derive(Clone, Copy, Debug)]
struct GlueCtx<'a> {
    in_comment: bool,
    /// The word is itself in command position.
    cmdpos: bool,
    /// The word is the argument of a `cd` that has more arguments after it.
    cd_extra: bool,
    /// The commands the text runs on lines of their own.
    commands: &'a Ran,
}

const GLUE_THRESHOLD: i32 = 3;

/// `firewalldsystemctl disable`, `.yamlkubectl create`, `continuedocker tag`, `')USER_NAME=`:
/// a command glued to the end of the previous word.
fn command_glue_split(
    line: &str,
    sc: &Scanned,
    tok: &Tok,
    st: &ShellState,
    has_next_word: bool,
    commands: &Ran,
) -> Option<Split> {
    let word = &line[sc.offs[tok.start]..sc.offs[tok.end]];
    if st.cmdpos && (is_command_name(word) || is_keyword(word)) {
        return None;
    }
    let ctx = GlueCtx {
        in_comment: false,
        cmdpos: st.cmdpos,
        cd_extra: st.cmd.as_deref() == Some("cd") && st.nargs == 0 && has_next_word,
        commands,
    };
    glue_candidates(line, sc, tok.start, tok.end, ctx).map(|at| Split {
        at,
        rule: "glued-command",
        tail: Tail::Command,
    })
}

/// The first position in chars `[from, to)` where a glued command starts, if any scores high
/// enough.
fn glue_candidates(
    line: &str,
    sc: &Scanned,
    from: usize,
    to: usize,
    ctx: GlueCtx<'_>,
) -> Option<usize> {
    let mut word_start = from;
    while word_start < to {
        // In a comment every space ends a word; in code the token is one word.
        let word_end = if ctx.in_comment {
            (word_start..to)
                .find(|&i| sc.chars[i].is_whitespace())
                .unwrap_or(to)
        } else {
            to
        };
        if let Some(at) = glue_in_word(line, sc, word_start, word_end, ctx) {
            return Some(at);
        }
        word_start = word_end + 1;
    }
    None
}

/// Longest command name or variable name worth looking for at the end of a word.
const MAX_NAME: usize = 40;

/// The first place in the word of chars `[start, end)` where a glued command starts.
fn glue_in_word(
    line: &str,
    sc: &Scanned,
    start: usize,
    end: usize,
    ctx: GlueCtx<'_>,
) -> Option<usize> {
    let end_byte = sc.offs[end];
    (start + 1..end)
        .map(|i| (i, sc.offs[i]))
        .find_map(|(i, at)| {
            let ok_class = if ctx.in_comment {
                sc.class[i] == Class::Comment
            } else {
                sc.top(i)
            };
            // A long rest of the word can only be an assignment, never a command name.
            let long = end_byte - at > MAX_NAME && !maybe_assignment(&line[at..]);
            if !ok_class || long {
                return None;
            }
            let prefix = &line[sc.offs[start]..at];
            (candidate_score(line, prefix, at, end_byte, ctx) >= GLUE_THRESHOLD).then_some(at)
        })
}

/// `NAME=...` could start here: a letter, then a name and `=` within reach.
fn maybe_assignment(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes()
            .take(MAX_NAME)
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'=')
            .any(|b| b == b'=')
}

fn next_space(line: &str, at: usize) -> usize {
    line[at..]
        .find(char::is_whitespace)
        .map_or(line.len(), |p| at + p)
}

/// Scores the hypothesis "a new command starts at byte `at`" (inside a word whose part before
/// `at` is `prefix` and which ends at `end`).
fn candidate_score(line: &str, prefix: &str, at: usize, end: usize, ctx: GlueCtx<'_>) -> i32 {
    let suffix = &line[at..end];
    let after = &line[end..];
    let strong_boundary = ends_closing(prefix) || ENDING_LIST.contains(prefix);
    let named = is_command_name(suffix)
        || is_dockerfile_word(suffix)
        || suffix == "[["
        || COMPOUND_START_LIST.contains(suffix)
        || (strong_boundary && !ctx.in_comment && snake_case_name(suffix));
    let (strength, args_from) = if named {
        (name_strength(suffix), after)
    } else if let Some(assign_len) = assignment_len(&line[at..], prefix) {
        let name = &line[at..at + assign_len];
        let mid_name =
            prefix.ends_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let long_name = name.contains('_') && name.len() >= 4;
        if !strong_boundary && (!long_name || mid_name) {
            return i32::MIN;
        }
        (1, &line[next_space(line, at)..])
    } else {
        return i32::MIN;
    };
    let Some(boundary) = boundary_score(prefix, suffix, ctx) else {
        return i32::MIN;
    };
    let rest_of_line = &line[at..];
    if ctx.in_comment && has_cjk(rest_of_line.split(" #").next().unwrap_or("")) {
        return i32::MIN;
    }
    // After Chinese text a name alone is a word of the comment (`# 安装docker`); a command has
    // arguments (`# 休眠sleep 30`).
    if ctx.in_comment
        && prefix.chars().last().is_some_and(is_cjk)
        && rest_of_line.split_whitespace().nth(1).is_none()
    {
        return i32::MIN;
    }
    let args = args_score(prefix, suffix, args_from);
    let cd_bonus = if ctx.cd_extra { 2 } else { 0 };
    // The text runs this command on a line of its own elsewhere; a name that ends common words
    // (`ls` of `tools`, `date` of `update`) only with some of the same arguments.
    let runs = if named
        && ctx.commands.runs(suffix)
        && (strength >= 1 || ctx.commands.shares_args(suffix, args_from))
    {
        2
    } else {
        0
    };
    if boundary == 0 && args + cd_bonus + runs < 2 {
        return i32::MIN;
    }
    strength + boundary + args + cd_bonus + runs
}

/// `NAME=` at the start of `s`; returns the name's length. Lower-case names count only after a
/// closing quote or bracket or a keyword (`")archive=`, `donepath=`).
fn assignment_len(s: &str, prefix: &str) -> Option<usize> {
    let lower_ok = ends_closing(prefix) || ENDING_LIST.contains(prefix);
    let name_len = s
        .find(|c: char| {
            !(c.is_ascii_uppercase()
                || c.is_ascii_digit()
                || c == '_'
                || (lower_ok && c.is_ascii_lowercase()))
        })
        .unwrap_or(s.len());
    let first_ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || (lower_ok && c.is_ascii_lowercase()));
    (first_ok && name_len >= 2 && s[name_len..].starts_with('=')).then_some(name_len)
}

/// `log_end_msg`, `do_start`: a function name in snake case.
fn snake_case_name(word: &str) -> bool {
    word.contains('_')
        && word.starts_with(|c: char| c.is_ascii_lowercase())
        && !word.ends_with('_')
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn name_strength(name: &str) -> i32 {
    let special = is_dockerfile_word(name) || name == "[[" || COMPOUND_START_LIST.contains(name);
    if special || !is_command_name(name) {
        1
    } else if PROSE_COMMAND_LIST.contains(name) {
        0
    } else if name.len() >= 4 {
        2
    } else if name.len() == 3 {
        1
    } else {
        0
    }
}

fn ends_closing(prefix: &str) -> bool {
    prefix.ends_with([')', ']', '}', '"', '\'', '`'])
}

/// How clearly the end of `prefix` ends a word or command; None when it rules a split out.
fn boundary_score(prefix: &str, cmd: &str, ctx: GlueCtx<'_>) -> Option<i32> {
    let prev = prefix.chars().last()?;
    let cmd_upper = cmd.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    if ENDING_LIST.contains(prefix) {
        return Some(2);
    }
    if ends_closing(prefix) {
        // In a comment a quote or backtick after a space opens a quotation.
        let opening = ctx.in_comment
            && prefix.ends_with(['"', '\'', '`'])
            && prefix.chars().rev().nth(1).is_none_or(char::is_whitespace);
        return (!opening).then_some(2);
    }
    if ctx.cmdpos && !is_assignment(prefix) {
        return None;
    }
    // `cp x /usr/local/binrm -rf …`: a program folder, then a command.
    if prefix.ends_with("/bin") || prefix.ends_with("/sbin") {
        return Some(2);
    }
    if prefix == "-" && cmd.contains('-') && name_strength(cmd) >= 2 || ends_with_extension(prefix)
    {
        return Some(2);
    }
    // `tar -xf -export PATH=…`: the `-` of standard input, then a command the text runs on a
    // line of its own (a one-dash option like `-exec` takes no such evidence).
    if prefix == "-" && ctx.commands.runs(cmd) && !is_wrapper(cmd) {
        return Some(0);
    }
    if ctx.in_comment && matches!(prev, '.' | ':' | '!' | '?' | ';' | ',') {
        return (name_strength(cmd) >= 1).then_some(2);
    }
    if matches!(prev, '/' | '.') && ctx.cd_extra {
        return Some(0);
    }
    if prev.is_ascii_digit() {
        return Some(1);
    }
    if prev.is_lowercase() && cmd_upper {
        return Some(2);
    }
    // `GCSgcloud`: an acronym, then a lower-case command name.
    let acronym = prefix.chars().rev().take(2).all(|c| c.is_ascii_uppercase());
    if acronym && cmd.starts_with(|c: char| c.is_ascii_lowercase()) && name_strength(cmd) >= 2 {
        return Some(1);
    }
    if prev.is_ascii_uppercase() && !cmd_upper && ends_with_caps_variable(prefix) {
        return Some(2);
    }
    // `# 领导者逻辑sleep 30`: Chinese text, then a command (the rest of the line is checked to
    // hold no more Chinese, and some arguments).
    if ctx.in_comment && is_cjk(prev) {
        return Some(2);
    }
    if prev.is_alphabetic() {
        return Some(0);
    }
    None
}

/// `name.yaml`, `pkg.tar.gz`, `repo.git`: ends with a file extension.
fn ends_with_extension(prefix: &str) -> bool {
    let Some(dot) = prefix.rfind('.') else {
        return false;
    };
    let ext = &prefix[dot + 1..];
    let before = prefix[..dot].chars().last();
    EXTENSION_LIST.contains(ext)
        && before.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

/// `$DEV`, `${X}`: ends with an upper-case variable reference.
fn ends_with_caps_variable(prefix: &str) -> bool {
    let Some(dollar) = prefix.rfind('$') else {
        return false;
    };
    let name = &prefix[dollar + 1..];
    name.len() >= 2
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// How much the text after a candidate command looks like its arguments.
fn args_score(prefix: &str, cmd: &str, after: &str) -> i32 {
    let a = after.trim_start();
    if !after.starts_with(char::is_whitespace) || a.is_empty() || a.starts_with('#') {
        return 0;
    }
    let first = first_word(a);
    let mut score = 1;
    let flag = (first.starts_with('-') || first.starts_with('+')) && first.len() > 1;
    let wrapped = is_wrapper(cmd) && is_command_name(first);
    // `sh -c '…'`: a shell given a command string.
    let shell_string = matches!(cmd, "sh" | "bash" | "zsh")
        && first == "-c"
        && a[first.len()..].trim_start().starts_with(['\'', '"']);
    let typical = SUBCOMMAND_LIST.contains(first) || is_assignment(first) || wrapped;
    if flag || typical {
        score += 1;
    }
    if shell_string {
        score += 1;
    }
    if repeats_last_segment(prefix, first) {
        score += 2;
    }
    score
}

/// `git clone https://x/claircd clair/contrib`: the argument names what the prefix fetched.
fn repeats_last_segment(prefix: &str, arg: &str) -> bool {
    let last = prefix
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let last = last.strip_suffix(".git").unwrap_or(last);
    let first = arg.split('/').next().unwrap_or("");
    last.len() >= 3 && first == last
}

/// Splits inside a comment: another glued comment, or a command glued to its end.
fn comment_split(line: &str, sc: &Scanned, tok: &Tok, commands: &Ran) -> Option<Split> {
    let start = tok.start;
    if start > 0 && !sc.chars[start - 1].is_whitespace() {
        return None;
    }
    if let Some(s) = shebang_split(line, sc, tok) {
        return Some(s);
    }
    let hash = (start + 1..tok.end).find(|&i| {
        sc.chars[i] == '#' && !sc.chars[i - 1].is_whitespace() && glued_comment_at(&sc.chars, i)
    });
    let limit = hash.unwrap_or(tok.end);
    let ctx = GlueCtx {
        in_comment: true,
        cmdpos: false,
        cd_extra: false,
        commands,
    };
    if let Some(at) = glue_candidates(line, sc, start + 1, limit, ctx) {
        return Some(Split {
            at,
            rule: "glued-command",
            tail: Tail::Command,
        });
    }
    hash.map(|i| Split {
        at: sc.offs[i],
        rule: "glued-comment",
        tail: Tail::Command,
    })
}

/// `#!/bin/bashset -e`: a command glued to the interpreter line.
fn shebang_split(line: &str, sc: &Scanned, tok: &Tok) -> Option<Split> {
    let start = sc.offs[tok.start];
    let text = &line[start..];
    if !text.starts_with("#!/") {
        return None;
    }
    let path_end = text.find(char::is_whitespace).unwrap_or(text.len());
    let path = &text[..path_end];
    let last = path.rsplit('/').next().unwrap_or("");
    for interp in [
        "bash", "sh", "zsh", "ksh", "dash", "ash", "python3", "python", "perl", "ruby", "node",
    ] {
        let Some(rest) = last.strip_prefix(interp) else {
            continue;
        };
        if !rest.is_empty() && starts_command(&text[path_end - rest.len()..]) {
            return Some(Split {
                at: start + path_end - rest.len(),
                rule: "glued-command",
                tail: Tail::Command,
            });
        }
    }
    None
}

/// On a line that announced a heredoc: `>$DEV/kustomization.yamlapiVersion: v1`,
/// `tee /etc/cni/net.d/10-bridge.conf{"cniVersion"`: the body's first line glued to the command.
fn heredoc_head_split(line: &str, sc: &Scanned, tok: &Tok, st: &ShellState) -> Option<Split> {
    let word_end = sc.offs[tok.end];
    for i in tok.start + 1..tok.end {
        if !sc.top(i) || !sc.top(i - 1) {
            continue;
        }
        let at = sc.offs[i];
        let prefix = &line[sc.offs[tok.start]..at];
        let rest = &line[at..];
        if !(ends_with_extension(prefix) || prefix.ends_with(" -") || prefix == "-") {
            continue;
        }
        if at < word_end && body_like(rest, st) {
            return Some(Split {
                at,
                rule: "glued-heredoc",
                tail: Tail::Body,
            });
        }
    }
    None
}

/// Does `s` look like the first line of a heredoc body (YAML key, JSON, INI section, the
/// terminator itself)?
fn body_like(s: &str, st: &ShellState) -> bool {
    if s.starts_with(['{', '[', '"']) {
        return true;
    }
    if st.pending.iter().any(|h| s.contains(h.term.as_str())) {
        return true;
    }
    let key_len = s
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .unwrap_or(s.len());
    key_len > 0
        && (s[key_len..].starts_with(": ") || s[key_len..] == *":" || s[key_len..].starts_with('='))
}

/// A heredoc body line: is the terminator on it, possibly glued (`secretkeyEOF`,
/// `exit 1EOFchmod +x x`)? Returns the byte range of the terminator.
fn find_terminator(line: &str, term: &str, learned: &Learned) -> Option<(usize, usize)> {
    if line.trim() == term {
        let start = line.find(term).unwrap_or(0);
        return Some((start, start + term.len()));
    }
    let mut from = 0;
    while let Some(p) = line[from..].find(term) {
        let at = from + p;
        let end = at + term.len();
        if terminator_here(line, term, at, end, learned) {
            return Some((at, end));
        }
        from = end;
    }
    None
}

fn terminator_here(line: &str, term: &str, at: usize, end: usize, learned: &Learned) -> bool {
    let prev = line[..at].chars().last();
    let first = term.chars().next();
    let clash = match (prev, first) {
        (Some(p), Some(f)) if f.is_uppercase() => p.is_uppercase() || p == '_',
        (Some(p), Some(f)) if f.is_lowercase() => p.is_lowercase() || p == '_',
        _ => false,
    };
    if clash {
        return false;
    }
    let after = &line[end..];
    if after.trim().is_empty() || after.starts_with(')') {
        return true;
    }
    !after.starts_with(char::is_whitespace) && (starts_command(after) || learned.at_start(after))
}

// ---------------------------------------------------------------------------------------------
// What a session or script teaches about itself
// ---------------------------------------------------------------------------------------------

/// Adds to `list` the items of `more` it does not hold yet, in order.
fn push_new(list: &mut Vec<String>, more: Vec<String>) {
    for item in more {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

/// Adds `more` to the sorted `list`, keeping it sorted and without repeats.
fn merge_sorted(list: &mut Vec<String>, more: Vec<String>) {
    list.extend(more);
    list.sort_unstable();
    list.dedup();
}

/// The commands a text runs on lines of their own (after a prompt, if any): a word that ends in
/// the name of one is likelier a command glued to the word before it.
#[derive(Clone, Debug, Default)]
struct Ran {
    /// Their names, sorted.
    names: Vec<String>,
    /// The lines that start with one, prompt left out, sorted.
    lines: Vec<String>,
}

impl Ran {
    fn of(text: &str) -> Ran {
        let mut ran = Ran::default();
        for line in text.lines() {
            let line = line.trim_start();
            let line = line[prompt_len(line).unwrap_or(0)..].trim();
            let word = first_word(line);
            if is_command_name(word) {
                ran.names.push(word.to_string());
                ran.lines.push(line.to_string());
            }
        }
        ran.names.sort_unstable();
        ran.names.dedup();
        ran.lines.sort_unstable();
        ran.lines.dedup();
        ran
    }

    fn add(&mut self, other: Ran) {
        merge_sorted(&mut self.names, other.names);
        merge_sorted(&mut self.lines, other.lines);
    }

    fn within(&self, other: &Ran) -> bool {
        self.names.iter().all(|n| other.runs(n))
            && self
                .lines
                .iter()
                .all(|l| other.lines.binary_search(l).is_ok())
    }

    /// Whether `cmd` starts a line.
    fn runs(&self, cmd: &str) -> bool {
        self.names.binary_search_by(|c| c.as_str().cmp(cmd)).is_ok()
    }

    /// Whether a line that starts with `cmd` has a word of three characters or more of `args`
    /// among its arguments (`tc filter add dev eth0` for `tc class add dev eth0`).
    fn shares_args(&self, cmd: &str, args: &str) -> bool {
        let words: Vec<&str> = args
            .split_whitespace()
            .take_while(|w| !w.starts_with('#'))
            .filter(|w| w.chars().count() >= 3)
            .collect();
        !words.is_empty()
            && self.lines.iter().any(|line| {
                first_word(line) == cmd
                    && line[cmd.len()..]
                        .split_whitespace()
                        .any(|w| words.contains(&w))
            })
    }
}

/// What a text teaches about itself, learned from its lines: the prompts a session uses (to find
/// later prompts glued to text), the commands it runs, how its output lines start and the
/// variables it sets.
#[derive(Clone, Debug, Default)]
struct Learned {
    /// `user@host` of `user@host:dir# ` prompts.
    user_hosts: Vec<String>,
    /// The session uses `$ ` prompts.
    dollar: bool,
    /// The commands the text runs on lines of their own.
    commands: Ran,
    /// How two or more lines of output start (see [`output_starts`]), sorted.
    output_starts: Vec<String>,
    /// The variables the text sets (`pods=$(…)`, `export NAME=`, `for NAME in`), sorted.
    variables: Vec<String>,
}

impl Learned {
    fn learn(text: &str) -> Learned {
        let mut p = Learned::default();
        for line in text.lines() {
            let line = line.trim_start();
            if let Some(m) = colon_prompt_re().find(line) {
                let uh = m.as_str().split(':').next().unwrap_or("").to_string();
                if !p.user_hosts.contains(&uh) {
                    p.user_hosts.push(uh);
                }
            }
            if let Some(n) = prompt_len(line).filter(|_| line.starts_with('$')) {
                let cmd = &line[n..];
                p.dollar |= looks_like_command(cmd) || command_shaped(first_word(cmd));
            }
        }
        p.commands = Ran::of(text);
        p.output_starts = output_starts(text);
        p.variables = set_variables(text);
        p
    }

    fn within(&self, other: &Learned) -> bool {
        (!self.dollar || other.dollar)
            && self.user_hosts.iter().all(|u| other.user_hosts.contains(u))
            && self.commands.within(&other.commands)
            && self
                .output_starts
                .iter()
                .all(|s| other.output_starts.binary_search(s).is_ok())
            && self
                .variables
                .iter()
                .all(|v| other.variables.binary_search(v).is_ok())
    }

    fn add(&mut self, other: Learned) {
        self.dollar |= other.dollar;
        self.commands.add(other.commands);
        merge_sorted(&mut self.output_starts, other.output_starts);
        merge_sorted(&mut self.variables, other.variables);
        push_new(&mut self.user_hosts, other.user_hosts);
    }

    /// Does `s` start with a prompt?
    fn at_start(&self, s: &str) -> bool {
        bracket_prompt_re().find(s).is_some_and(|m| m.start() == 0)
            || colon_prompt_re().is_match(s)
            || (self.dollar && s.starts_with("$ ") && dollar_prompt_follows(&s[2..]))
    }

    /// The first prompt glued inside `s` (not at its start). With `sc`, `$ ` prompts count only
    /// outside quotes.
    fn find_glued(&self, s: &str, sc: Option<&Scanned>) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut keep = |at: usize| {
            if !s[..at].trim().is_empty() && best.is_none_or(|b| at < b) {
                best = Some(at);
            }
        };
        let glued = |at: usize| !s[..at].trim().is_empty();
        if let Some(m) = bracket_prompt_re().find_iter(s).find(|m| glued(m.start())) {
            keep(m.start());
        }
        for uh in &self.user_hosts {
            if let Some(at) = find_colon_prompt(s, uh) {
                keep(at);
            }
        }
        if let Some(at) = find_dollar_prompt(s, sc).filter(|_| self.dollar) {
            keep(at);
        }
        best
    }
}

fn find_colon_prompt(s: &str, user_host: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = s[from..].find(user_host) {
        let at = from + p;
        if at > 0 && colon_prompt_re().is_match(&s[at..]) {
            return Some(at);
        }
        from = at + user_host.len();
    }
    None
}

fn find_dollar_prompt(s: &str, sc: Option<&Scanned>) -> Option<usize> {
    for (at, _) in s.match_indices("$ ").filter(|(at, _)| *at > 0) {
        if let Some(sc) = sc {
            let ci = sc.offs.partition_point(|&o| o < at);
            if !sc.code(ci) && sc.class.get(ci) != Some(&Class::Comment) {
                continue;
            }
        }
        let rest = &s[at + 2..];
        let prev_space = s[..at].ends_with(char::is_whitespace);
        let ok = if prev_space {
            is_command_name(first_word(rest))
        } else {
            dollar_prompt_follows(rest)
        };
        if ok {
            return Some(at);
        }
    }
    None
}

/// `radosgw-admin`, `kubectl-foo`: shaped like a program name.
fn command_shaped(word: &str) -> bool {
    word.len() >= 2
        && word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// After a learned `$ ` prompt: a command, or a word shaped like a program's name.
fn dollar_prompt_follows(rest: &str) -> bool {
    dollar_command_follows(rest) || command_shaped(first_word(rest))
}

fn dollar_command_follows(rest: &str) -> bool {
    rest.starts_with('(') || (looks_like_command(rest) && !rest.starts_with(char::is_whitespace))
}

// ---------------------------------------------------------------------------------------------
// Session output
// ---------------------------------------------------------------------------------------------

/// `kubectl create cm x --from-file=config/configmap "x" created`,
/// `docker compose downStopping web ... done`: the first output line glued to the command.
fn output_after_command(line: &str, sc: &Scanned) -> Option<Split> {
    kubectl_result_split(line, sc).or_else(|| capitalised_output_split(line, sc))
}

/// The length of the name (letters, digits, `_`) that `s` starts with.
fn name_len(s: &str) -> usize {
    s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len())
}

/// The names of the variables `text` sets at the start of a command (after any prompt):
/// `NAME=…`, `export NAME=…`, `for NAME in`, `read NAME`; sorted.
fn set_variables(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        let line = line[prompt_len(line).unwrap_or(0)..].trim_start();
        let rest = ["export ", "local ", "declare ", "readonly "]
            .iter()
            .find_map(|w| line.strip_prefix(w))
            .unwrap_or(line)
            .trim_start();
        let name = match rest
            .strip_prefix("for ")
            .or_else(|| rest.strip_prefix("read "))
        {
            Some(after) => {
                let after = after.trim_start();
                &after[..name_len(after)]
            }
            None => {
                let n = name_len(rest);
                if rest[n..].starts_with('=') {
                    &rest[..n]
                } else {
                    ""
                }
            }
        };
        if name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            names.push(name.to_string());
        }
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// `kubectl logs $pods3.14159…` after `pods=$(…)`: a variable the session set, then output
/// glued to it (the longer name is set nowhere).
fn variable_output_split(line: &str, sc: &Scanned, variables: &[String]) -> Option<Split> {
    if variables.is_empty() {
        return None;
    }
    let set = |name: &str| variables.binary_search_by(|v| v.as_str().cmp(name)).is_ok();
    (0..sc.chars.len())
        .take_while(|&i| sc.offs[i] < line.len())
        .filter(|&i| sc.chars[i] == '$' && sc.code(i))
        .find_map(|i| {
            let start = sc.offs[i] + 1;
            let run = start + name_len(&line[start..]);
            let full = &line[start..run];
            if full.len() < 3 || set(full) {
                return None;
            }
            // The longest name the session set that the run starts with.
            let n = (2..full.len()).rev().find(|&n| set(&full[..n]))?;
            let at = start + n;
            // Output, not a longer word: three characters or more up to the next space.
            let rest = line[at..]
                .bytes()
                .take_while(|b| !b.is_ascii_whitespace())
                .count();
            (rest >= 3).then_some(Split {
                at,
                rule: "glued-output",
                tail: Tail::Output,
            })
        })
}

/// Resource kinds as kubectl prints them in results (`deployment.apps/web created`).
const KINDS: &str = "\
    pod pods service services svc deployment deployments replicaset replicasets statefulset \
    statefulsets daemonset daemonsets job jobs cronjob cronjobs configmap configmaps secret \
    secrets namespace namespaces serviceaccount serviceaccounts role roles rolebinding \
    rolebindings clusterrole clusterroles clusterrolebinding clusterrolebindings ingress ingresses \
    ingressclass networkpolicy networkpolicies persistentvolume persistentvolumes \
    persistentvolumeclaim persistentvolumeclaims storageclass storageclasses \
    horizontalpodautoscaler node nodes endpoints limitrange resourcequota poddisruptionbudget \
    priorityclass customresourcedefinition validatingwebhookconfiguration \
    mutatingwebhookconfiguration apiservice certificate issuer clusterissuer gateway \
    virtualservice destinationrule serviceentry podsecuritypolicy replicationcontroller lease \
    workflow application csidriver volumeattachment
";

/// What kubectl says it did to a resource.
const KUBECTL_VERBS: &str = "\
    image updated|resource requirements updated|rolled back|created|configured|deleted|\
    unchanged|patched|labeled|annotated|scaled|exposed|replaced|restarted|serverside-applied|\
    cordoned|uncordoned|drained|tainted|untainted|edited|autoscaled|paused|resumed";

fn kubectl_result_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let kinds = KINDS.split_whitespace().collect::<Vec<_>>().join("|");
        let domain = r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:io|com|org|dev|net|sh)";
        let group = format!(r"(?:\.(?:apps|batch|policy|extensions|autoscaling|{domain}))?");
        let name = r#"(?:/[A-Za-z0-9._:-]+| "[^"]+")"#;
        Regex::new(&format!("^(?:{kinds}){group}{name} (?:{KUBECTL_VERBS})")).expect("valid regex")
    })
}

/// Length of a kubectl result (`service/web created`) at the start of `s`.
fn kubectl_result_at(s: &str) -> Option<usize> {
    kubectl_result_re().find(s).map(|m| m.end())
}

/// Does `s` consist of kubectl results only (possibly glued to each other)?
fn only_kubectl_results(s: &str) -> bool {
    let mut rest = s;
    while let Some(len) = kubectl_result_at(rest) {
        rest = &rest[len..];
        if rest.trim().is_empty() {
            return true;
        }
    }
    false
}

fn kubectl_result_split(line: &str, sc: &Scanned) -> Option<Split> {
    (1..sc.chars.len())
        .take_while(|&i| sc.offs[i] < line.len())
        .find_map(|i| {
            let at = sc.offs[i];
            let prev = sc.chars[i - 1];
            let ok = sc.top(i) && !prev.is_whitespace() && only_kubectl_results(&line[at..]);
            ok.then_some(Split {
                at,
                rule: "glued-output",
                tail: Tail::Output,
            })
        })
}

/// `downStopping nginx ... done`, `-lnIP Virtual Server version`, `.yamlThe document`: a
/// capitalised sentence glued to the last argument of a command.
fn capitalised_output_split(line: &str, sc: &Scanned) -> Option<Split> {
    let n = sc.offs.partition_point(|&o| o < line.len());
    for i in 1..n {
        if !sc.top(i) || !sc.chars[i].is_ascii_uppercase() {
            continue;
        }
        let prev = sc.chars[i - 1];
        if !(prev.is_ascii_lowercase() || prev.is_ascii_digit()) {
            continue;
        }
        if prev.is_ascii_digit() && unit_suffix(&sc.chars[i..]) {
            continue;
        }
        let at = sc.offs[i];
        if output_sentence(&line[at..]) && command_is_complete(&line[..at]) {
            return Some(Split {
                at,
                rule: "glued-output",
                tail: Tail::Output,
            });
        }
    }
    None
}

/// `128Mi`, `2Gi`: a quantity's unit after a number.
fn unit_suffix(chars: &[char]) -> bool {
    matches!(chars, [u, 'i', ..] if "KMGTPE".contains(*u))
}

/// `Stopping web ... done`, `Username: foo`, `IP Virtual Server version 1.2.1`: output text.
fn output_sentence(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    let Some(first) = words.first() else {
        return false;
    };
    let caps_word = first.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && first
            .chars()
            .skip(1)
            .all(|c| c.is_ascii_alphabetic() || c == ':');
    let shell_like =
        s.contains(['|', '$', '`', '>', '\\']) || words.iter().any(|w| w.starts_with('-'));
    let key_value = first.ends_with(':') && first.len() > 2;
    caps_word && !shell_like && (words.len() >= 3 || key_value) && first.len() >= 2
}

/// `kubectl get cm x -o yaml`, `cat web.yaml`, `helm template .`: a command that prints YAML.
fn prints_yaml(cmd: &str) -> bool {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let flag = words
        .windows(2)
        .any(|w| matches!(w, ["-o" | "--output", "yaml"]))
        || words
            .iter()
            .any(|w| matches!(*w, "-oyaml" | "--output=yaml" | "-o=yaml"));
    let shows_file = words
        .first()
        .is_some_and(|w| matches!(*w, "cat" | "more" | "less" | "head" | "tail"))
        && words
            .iter()
            .any(|w| w.ends_with(".yaml") || w.ends_with(".yml"));
    let renders = cmd.contains("helm template")
        || cmd.contains("kustomize build")
        || cmd.contains("kubectl kustomize");
    flag || shows_file || renders || cmd.contains("kubectl edit")
}

/// The text before a glued output line should be a plausible whole command.
fn command_is_complete(cmd: &str) -> bool {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    words.len() >= 2 && !cmd.ends_with(['-', '=', '/', ':'])
}

// ---------------------------------------------------------------------------------------------
// Output and heredoc body lines: JSON, tables, `Key: value`, kubectl results, INI
// ---------------------------------------------------------------------------------------------

/// What is known about the output of the current command.
#[derive(Clone, Debug, Default)]
struct OutputCtx {
    /// Column starts (in chars) of the last table header.
    header: Option<Vec<usize>>,
    /// The command prints YAML (`-o yaml`, `cat x.yaml`).
    yaml: bool,
    /// Finds how lines of output in this session start (see [`output_starts`]).
    starts: Option<aho_corasick::AhoCorasick>,
}

impl OutputCtx {
    /// Remembers the columns of a table header line.
    fn see(&mut self, line: &str) {
        let chars: Vec<char> = line.trim_end().chars().collect();
        if header_like(&chars) {
            let cols = column_starts(&chars);
            if cols.len() >= 2 {
                self.header = Some(cols);
            }
        }
    }
}

/// The first place where an output line should be broken (never 0).
fn output_line_split(line: &str, ctx: &OutputCtx) -> Option<(usize, &'static str)> {
    [
        json_split(line),
        kubectl_chain_split(line),
        table_split(line, ctx),
        key_value_split(line),
        output_comment_split(line),
        layer_id_split(line),
        repeated_prefix_split(line),
        ctx.starts
            .as_ref()
            .and_then(|starts| learned_start_split(line, starts)),
        status_done_split(line),
        ctx.yaml.then(|| yaml_split(line)).flatten(),
    ]
    .into_iter()
    .flatten()
    .filter(|&p| p > 0 && p < line.len())
    .min()
    .map(|p| (p, "glued-output"))
}

/// A line of pretty-printed JSON (or a piece of one).
fn json_like(line: &str) -> bool {
    let t = line.trim_start();
    let second = t.chars().skip(1).find(|c| !c.is_whitespace());
    match t.chars().next() {
        Some('{' | '}' | ']') => true,
        Some('[') => second.is_none_or(|c| "{[\"]-".contains(c) || c.is_ascii_digit()),
        Some('"') => t.contains("\":"),
        _ => false,
    }
}

/// Brackets of a JSON line outside strings, with their char index; None if a string is open
/// at the end of the line.
fn json_brackets(chars: &[char]) -> Option<Vec<(usize, char)>> {
    let mut out = Vec::new();
    let mut in_str = false;
    let mut escaped = false;
    for (i, &c) in chars.iter().enumerate() {
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
        } else if matches!(c, '{' | '[' | '}' | ']' | ',') {
            out.push((i, c));
        }
    }
    (!in_str).then_some(out)
}

/// `{"cluster_name": "x","host_header": "y",`, `"zone": "a"},`: the lines of pretty-printed
/// JSON glued together. Splits after an opener that closes on a later line, before a closer
/// that opened on an earlier line, and after a comma between two members. A bracket pair on
/// one line is taken apart too when it holds a comma glued to the next member while the line
/// is in the spaced style (`": "`).
fn json_split(line: &str) -> Option<usize> {
    if !json_like(line) {
        return None;
    }
    let chars: Vec<char> = line.chars().collect();
    let offs: Vec<usize> = line
        .char_indices()
        .map(|(b, _)| b)
        .chain([line.len()])
        .collect();
    let marks = json_brackets(&chars)?;
    let partner = match_brackets(&marks);
    let open = exploded_pairs(&chars, &marks, &partner, line.contains("\": "));
    // For each open bracket: is its content laid out one member per line?
    let mut layout: Vec<bool> = Vec::new();
    for (k, &(i, c)) in marks.iter().enumerate() {
        match c {
            '{' | '[' => {
                if open[k] && json_value_follows(&chars[i + 1..]) {
                    return Some(offs[i + 1]);
                }
                layout.push(open[k]);
            }
            '}' | ']' => {
                if open[k] {
                    let before = chars[..i].iter().rposition(|c| !c.is_whitespace());
                    if let Some(b) = before.filter(|&b| json_value_ends(chars[b])) {
                        return Some(offs[b + 1]);
                    }
                }
                if partner[k].is_some() {
                    layout.pop();
                }
            }
            _ => {
                let spread = layout.last().is_none_or(|&l| l);
                if spread && json_member_follows(&chars[i + 1..]) {
                    return Some(offs[i + 1]);
                }
            }
        }
    }
    None
}

/// Which brackets take their own line: those whose partner is on another line, and pairs that
/// directly hold a glued comma (`,"next"`) in a line of spaced JSON.
fn exploded_pairs(
    chars: &[char],
    marks: &[(usize, char)],
    partner: &[Option<usize>],
    spaced: bool,
) -> Vec<bool> {
    let mut open: Vec<bool> = partner.iter().map(|p| p.is_none()).collect();
    if !spaced {
        return open;
    }
    let mut stack: Vec<usize> = Vec::new();
    for (k, &(i, c)) in marks.iter().enumerate() {
        match c {
            '{' | '[' if partner[k].is_some() => stack.push(k),
            '}' | ']' if partner[k].is_some() => {
                stack.pop();
            }
            ',' if chars.get(i + 1).is_some_and(|&n| "\"{[".contains(n)) => {
                if let Some(&o) = stack.last() {
                    open[o] = true;
                    if let Some(close) = partner[o] {
                        open[close] = true;
                    }
                }
            }
            _ => {}
        }
    }
    open
}

/// For each bracket mark, its partner on the same line.
fn match_brackets(marks: &[(usize, char)]) -> Vec<Option<usize>> {
    let mut partner = vec![None; marks.len()];
    let mut stack: Vec<usize> = Vec::new();
    for (k, &(_, c)) in marks.iter().enumerate() {
        match c {
            '{' | '[' => stack.push(k),
            '}' | ']' => {
                let want = if c == '}' { '{' } else { '[' };
                if let Some(&top) = stack.last().filter(|&&t| marks[t].1 == want) {
                    stack.pop();
                    partner[top] = Some(k);
                    partner[k] = Some(top);
                } else {
                    stack.clear();
                }
            }
            _ => {}
        }
    }
    partner
}

fn json_value_follows(rest: &[char]) -> bool {
    let t: String = rest.iter().collect();
    let t = t.trim_start();
    t.starts_with(['"', '{', '['])
        || t.starts_with(|c: char| c.is_ascii_digit() || c == '-')
        || ["true", "false", "null"].iter().any(|w| t.starts_with(w))
}

fn json_member_follows(rest: &[char]) -> bool {
    let t: String = rest.iter().collect();
    let t = t.trim_start();
    t.starts_with(['"', '{', '['])
}

fn json_value_ends(c: char) -> bool {
    c == '"' || c == '}' || c == ']' || c == ',' || c.is_ascii_alphanumeric()
}

/// `configmap/x createdservice/x created`: kubectl results glued to each other.
fn kubectl_chain_split(line: &str) -> Option<usize> {
    let first = kubectl_result_at(line)?;
    (first < line.len() && kubectl_result_at(&line[first..]).is_some()).then_some(first)
}

/// A table header: upper-case column names (`NAME   READY   STATUS`, `PORT(S)`, `CPU(cores)`).
fn header_like(chars: &[char]) -> bool {
    if chars.first().is_none_or(|c| c.is_whitespace()) {
        return false;
    }
    let text: String = chars.iter().collect();
    let words: Vec<&str> = text.split_whitespace().collect();
    let upper = words.iter().all(|w| header_word(w));
    let title = words.iter().all(|w| title_word(w));
    words.len() >= 2 && (upper || title)
}

/// `Type`, `Reason`, `LastHeartbeatTime`: a capitalised column name (`kubectl describe`).
fn title_word(w: &str) -> bool {
    w.starts_with(|c: char| c.is_ascii_uppercase())
        && w.chars().skip(1).all(|c| c.is_ascii_alphabetic())
}

fn header_word(w: &str) -> bool {
    let (main, paren) = match w.find('(') {
        Some(p) => (&w[..p], &w[p..]),
        None => (w, ""),
    };
    let main_ok = main
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '%')
        && main
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "_-/.:%".contains(c));
    let paren_ok = paren.is_empty()
        || (paren.starts_with('(')
            && paren.ends_with(')')
            && paren[1..paren.len() - 1]
                .chars()
                .all(|c| c.is_ascii_alphanumeric()));
    main_ok && paren_ok
}

/// Start of each column: the line start and every character after two or more spaces.
fn column_starts(chars: &[char]) -> Vec<usize> {
    let mut cols = vec![0];
    for i in 2..chars.len() {
        if !chars[i].is_whitespace() && chars[i - 1] == ' ' && chars[i - 2] == ' ' {
            cols.push(i);
        }
    }
    cols
}

/// Does a table row line up with the header columns? Every column of the row starts at a
/// header column, and at most one header column is empty.
/// With `open_end`, column starts after the last header column are allowed (more glued rows).
fn aligned(row: &[char], cols: &[usize], open_end: bool) -> bool {
    let Some(&last) = cols.last() else {
        return false;
    };
    if row.len() <= last
        || row
            .first()
            .is_none_or(|&c| !(c.is_alphanumeric() || c == '-'))
    {
        return false;
    }
    let own: Vec<usize> = column_starts(row)
        .into_iter()
        .filter(|&c| !open_end || c <= last)
        .collect();
    let missing = cols.iter().filter(|c| !own.contains(c)).count();
    own.iter().all(|c| cols.contains(c)) && missing <= 1 && own.len() >= 2
}

/// A table header glued to its first row (`PORT(S)   AGEservice/kube-dns   ClusterIP`), or two
/// rows glued (`10mkubernetes   10.0.0.2`), found by the column alignment of both parts.
fn table_split(line: &str, ctx: &OutputCtx) -> Option<usize> {
    let chars: Vec<char> = line.trim_end().chars().collect();
    let offs: Vec<usize> = line.char_indices().map(|(b, _)| b).collect();
    let n = chars.len();
    let first_word: String = chars.iter().take_while(|c| !c.is_whitespace()).collect();
    if header_word(&first_word) || title_word(&first_word) {
        for p in 1..n {
            let (a, b) = (chars[p - 1], chars[p]);
            let after_upper = (a.is_ascii_uppercase() || a == ')')
                && (b.is_ascii_lowercase() || b.is_ascii_digit() || b == '-');
            let after_lower = a.is_ascii_lowercase() && (b.is_ascii_uppercase() || b == '-');
            if !(after_upper || after_lower) {
                continue;
            }
            let head = &chars[..p];
            if header_like(head) {
                let cols = column_starts(head);
                if cols.len() >= 2 && aligned(&chars[p..], &cols, true) {
                    return Some(offs[p]);
                }
            }
        }
    }
    let cols = ctx.header.as_ref()?;
    if header_like(&chars) || aligned(&chars, cols, false) {
        return None;
    }
    let last = *cols.last()?;
    (last + 1..n)
        .filter(|&p| !chars[p - 1].is_whitespace() && !chars[p].is_whitespace())
        .find(|&p| aligned(&chars[..p], cols, false) && aligned(&chars[p..], cols, true))
        .map(|p| offs[p])
}

fn key_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^[A-Z][A-Za-z0-9_-]*(?: [A-Za-z][A-Za-z0-9_-]*){0,2}:(?: |$)")
            .expect("valid regex")
    })
}

/// `Events:Type   Reason`: a section key glued to the header of its table; the key's end.
fn glued_section_key(line: &str) -> Option<usize> {
    let colon = line.find(':')?;
    let key_ok = line[..colon].starts_with(|c: char| c.is_ascii_uppercase())
        && line[..colon].chars().all(|c| c.is_ascii_alphabetic())
        && colon >= 2;
    let glued = line[colon + 1..].starts_with(|c: char| c.is_ascii_uppercase());
    (key_ok && glued).then_some(colon + 1)
}

/// `Name: fast0001Namespace: default`, `Received: 23199Sent: 23198`: `Key: value` lines glued.
fn key_value_split(line: &str) -> Option<usize> {
    if let Some(end) = glued_section_key(line) {
        return Some(end);
    }
    let key_end = key_re().find(line)?.end();
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    (1..chars.len())
        .filter(|&k| chars[k].0 > key_end)
        .find_map(|k| {
            let (at, c) = chars[k];
            let prev = chars[k - 1].1;
            let glued =
                c.is_ascii_uppercase() && (prev.is_ascii_lowercase() || prev.is_ascii_digit());
            (glued && key_re().is_match(&line[at..])).then_some(at)
        })
}

fn layer_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[0-9a-f]{12}: [A-Z]").expect("valid regex"))
}

/// `5f70bf18a086: Pushede16a89738269: Pushed`: image layer progress lines glued.
fn layer_id_split(line: &str) -> Option<usize> {
    if !layer_re().is_match(line) {
        return None;
    }
    line.char_indices()
        .skip(1)
        .find(|&(at, _)| {
            let prev = line[..at].chars().last();
            prev.is_some_and(|c| c.is_ascii_alphabetic()) && layer_re().is_match(&line[at..])
        })
        .map(|(at, _)| at)
}

/// `db_1   |db_1   | LOG`, `default.rgw.controldefault.rgw.meta`, `Removing a ... doneRemoving b`:
/// a line glued to a following line that starts the same way.
fn repeated_prefix_split(line: &str) -> Option<usize> {
    let word_len = name_len(line);
    let sep = line[word_len..].chars().next()?;
    if word_len < 3 || !" ./:|-".contains(sep) {
        return None;
    }
    let prefix = &line[..word_len + sep.len_utf8()];
    let glued_after = |c: char| c.is_alphanumeric() || "|)]*>".contains(c);
    line.match_indices(prefix)
        .map(|(at, _)| at)
        .find(|&at| at > 0 && line[..at].chars().last().is_some_and(glued_after))
}

/// How lines of output start: a word of three letters or more, then up to the first `=`, `:`,
/// `/` or `|` (`req id=`, `Warning:`), six characters at least; those that `text` (no prompt
/// lines) has twice or more, at the start of a line or inside one; sorted.
fn output_starts(text: &str) -> Vec<String> {
    let mut seen: HashSet<&str> = HashSet::default();
    let mut starts: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if prompt_len(line).is_some() {
            continue;
        }
        let word = line
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(line.len());
        if word < 3 {
            continue;
        }
        let end = line[word..]
            .find(['=', ':', '/', '|'])
            .map(|e| word + e + 1)
            .filter(|&e| (6..=24).contains(&e));
        if let Some(end) = end
            && seen.insert(&line[..end])
        {
            starts.push(&line[..end]);
        }
    }
    if starts.is_empty() {
        return Vec::new();
    }
    // Every start counted in one pass over the text.
    let Ok(finder) = aho_corasick::AhoCorasick::new(&starts) else {
        return Vec::new();
    };
    let mut counts = vec![0usize; starts.len()];
    for m in finder.find_overlapping_iter(text) {
        counts[m.pattern().as_usize()] += 1;
    }
    let mut kept: Vec<String> = starts
        .iter()
        .zip(counts)
        .filter(|&(_, n)| n >= 2)
        .map(|(s, _)| s.to_string())
        .collect();
    kept.sort_unstable();
    kept
}

/// `… response-length=5Breq id=0:810 …`: a line glued to the next one, which starts as other
/// lines of the output do (`starts` finds those starts, see [`output_starts`]).
fn learned_start_split(line: &str, starts: &aho_corasick::AhoCorasick) -> Option<usize> {
    let glued_after = |c: char| c.is_alphanumeric() || ")]}>\"'".contains(c);
    starts
        .find_overlapping_iter(line)
        .map(|m| m.start())
        .filter(|&at| at > 0 && line[..at].chars().last().is_some_and(glued_after))
        .min()
}

/// `Creating web_1 ... doneAttaching to web_1`: a status line glued to the next line.
fn status_done_split(line: &str) -> Option<usize> {
    let at = line.find("... done")? + "... done".len();
    line[at..]
        .starts_with(|c: char| c.is_ascii_uppercase())
        .then_some(at)
}

/// `index.html  info.php# 执行交互式命令`, `{参数}# Events: 事物日志`: a Chinese comment glued to
/// an output line.
fn output_comment_split(line: &str) -> Option<usize> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    (1..chars.len()).find_map(|k| {
        let (at, c) = chars[k];
        let prev = chars[k - 1].1;
        if c != '#' || prev.is_whitespace() || prev == '#' {
            return None;
        }
        let comment = &line[at + 1..];
        let cjk_follows = comment
            .chars()
            .find(|c| !c.is_whitespace())
            .is_some_and(is_cjk);
        let cjk_soon = comment.starts_with(' ') && comment.chars().take(24).any(is_cjk);
        (cjk_follows || cjk_soon).then_some(at)
    })
}

/// A line of an INI/systemd/env file (`[Unit]`, `Description=...`).
fn ini_like(line: &str) -> bool {
    let t = line.trim_start();
    section_len(t).is_some() || ini_key_len(t).is_some()
}

/// `[Unit]`: length of a section header at the start of `s`.
fn section_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix('[')?;
    let end = rest.find(']')?;
    let name = &rest[..end];
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-\"".contains(c));
    ok.then_some(end + 2)
}

/// `Key=` at the start of `s`: length of the key.
fn ini_key_len(s: &str) -> Option<usize> {
    let end = s.find('=')?;
    let key = &s[..end];
    let ok = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    ok.then_some(end)
}

/// `[Unit]Description=x`, `fraktiAfter=network.target`, `1048576LimitCORE=infinity`,
/// `--v=3 \--log-dir=x`: INI lines glued together.
fn ini_split(line: &str) -> Option<usize> {
    if !ini_like(line) {
        return continuation_in_text(line);
    }
    let t = line.trim_start();
    let lead = line.len() - t.len();
    if let Some(len) = section_len(t) {
        return (len < t.len()).then_some(lead + len);
    }
    let value_start = lead + ini_key_len(t).map_or(0, |n| n + 1);
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    (1..chars.len())
        .filter(|&k| chars[k].0 > value_start)
        .find_map(|k| {
            let (at, c) = chars[k];
            let prev = chars[k - 1].1;
            let rest = &line[at..];
            let after_word = prev.is_ascii_lowercase() || prev.is_ascii_digit();
            let camel_key =
                c.is_ascii_uppercase() && after_word && ini_key_len(rest).is_some_and(|l| l >= 2);
            let section =
                c == '[' && !prev.is_whitespace() && prev != '=' && section_len(rest).is_some();
            let cont = prev == '\\'
                && k >= 2
                && chars[k - 2].1 == ' '
                && (c == '-' || c.is_ascii_alphanumeric());
            (camel_key || section || cont).then_some(at)
        })
}

/// Keys of Kubernetes manifests, Compose files, Kustomizations and Helm values: a key glued to
/// the end of the previous value (`80name: http`, `my-ingressspec:`) is found by its name.
const YAML_KEYS: &str = "\
    apiVersion kind metadata name namespace labels annotations spec selector matchLabels \
    matchExpressions template containers initContainers image imagePullPolicy imagePullSecrets \
    ports containerPort hostPort protocol env envFrom value valueFrom secretKeyRef configMapKeyRef \
    fieldRef fieldPath key resources limits requests cpu memory volumeMounts mountPath subPath \
    readOnly volumes configMap secret secretName persistentVolumeClaim claimName hostPath path \
    type emptyDir replicas strategy rollingUpdate maxSurge maxUnavailable serviceAccountName \
    serviceAccount nodeSelector nodeName tolerations affinity command args workingDir \
    livenessProbe readinessProbe startupProbe httpGet tcpSocket exec initialDelaySeconds \
    periodSeconds timeoutSeconds failureThreshold successThreshold restartPolicy data stringData \
    binaryData rules apiGroups verbs subjects roleRef host http paths backend serviceName \
    servicePort service port number pathType tls hosts ingressClassName targetPort nodePort \
    clusterIP externalTrafficPolicy sessionAffinity storageClassName accessModes capacity storage \
    persistentVolumeReclaimPolicy volumeMode nfs server schedule jobTemplate backoffLimit \
    completions parallelism minReplicas maxReplicas metrics target averageUtilization \
    scaleTargetRef behavior bases components patches patchesStrategicMerge patchesJson6902 images \
    newName newTag configMapGenerator secretGenerator generatorOptions disableNameSuffixHash \
    literals files commonLabels commonAnnotations namePrefix nameSuffix group version servers \
    gateways route destination subset weight match uri prefix exact mode serverCertificate \
    privateKey credentialName services build context dockerfile container_name restart environment \
    depends_on networks entrypoint healthcheck test interval timeout retries deploy links expose \
    logging driver options external enabled securityContext runAsUser runAsGroup runAsNonRoot \
    fsGroup privileged capabilities add drop readOnlyRootFilesystem allowPrivilegeEscalation \
    hostNetwork dnsPolicy priorityClassName terminationGracePeriodSeconds lifecycle preStop \
    postStart status phase conditions creationTimestamp uid resourceVersion selfLink generation \
    ownerReferences finalizers items clusterName endpoint endpoints addresses ip hostname \
    subdomain storageClass provisioner parameters reclaimPolicy volumeBindingMode \
    allowVolumeExpansion webhooks clientConfig caBundle issuerRef dnsNames commonName duration \
    renewBefore usages acme email solvers ingress egress policyTypes podSelector namespaceSelector \
    ipBlock cidr except from to operator values effect tolerationSeconds topologyKey weight \
    preference requiredDuringSchedulingIgnoredDuringExecution \
    preferredDuringSchedulingIgnoredDuringExecution nodeAffinity podAffinity podAntiAffinity \
    labelSelector serviceMonitorSelector scrape_configs job_name static_configs targets \
    scrape_interval global alerting receivers receiver routes replicaCount repository tag \
    pullPolicy className annotations hostAliases hostnames dnsConfig nameservers searches \
    shareProcessNamespace automountServiceAccountToken executorImage artifactRepository bucket \
    insecure accessKeySecret secretKeySecret completionMode suspend ttlSecondsAfterFinished \
    activeDeadlineSeconds concurrencyPolicy successfulJobsHistoryLimit failedJobsHistoryLimit \
    revisionHistoryLimit progressDeadlineSeconds minReadySeconds updateStrategy \
    podManagementPolicy volumeClaimTemplates serviceAccountToken projected sources downwardAPI \
    items defaultMode optional stdin tty
";

/// `key:` at the start of `s` (followed by a space, the end, or glued text): its length.
fn yaml_key_len(s: &str) -> Option<usize> {
    let run = s
        .find(|c: char| !(c.is_alphanumeric() || "_.-/".contains(c)))
        .unwrap_or(s.len());
    let ok = run > 0
        && s[..run].starts_with(|c: char| c.is_alphabetic() || c == '_')
        && s[run..].starts_with(':')
        && !s[run..].starts_with("::")
        && !s[run + 1..].starts_with('/');
    ok.then_some(run + 1)
}

/// `metadata:name: web`, `- port:number: 80name: http`, `resources:- ../../base`,
/// `- "a.example.com"- port:`: YAML lines glued together.
fn yaml_split(line: &str) -> Option<usize> {
    let mut i = line.len() - line.trim_start().len();
    while line[i..].starts_with("- ") {
        i += 2;
    }
    let Some(k) = yaml_key_len(&line[i..]) else {
        return yaml_value_split(line, i);
    };
    let after = i + k;
    let rest = &line[after..];
    if rest.is_empty() || rest.starts_with(' ') {
        return yaml_value_split(line, after);
    }
    let glued_child = rest.starts_with("- ")
        || rest.starts_with('-') && rest[1..].starts_with(['-', ' '])
        || yaml_key_len(rest).is_some();
    glued_child.then_some(after)
}

/// Glue inside a YAML value (or comment) starting at byte `from`: a `- ` item, a known key or
/// a key after a closing quote.
fn yaml_value_split(line: &str, from: usize) -> Option<usize> {
    let chars: Vec<(usize, char)> = line[from..]
        .char_indices()
        .map(|(b, c)| (from + b, c))
        .collect();
    let mut quote: Option<char> = None;
    let mut depth = 0i32;
    for k in 0..chars.len() {
        let (at, c) = chars[k];
        let prev = (k > 0).then(|| chars[k - 1].1);
        if let Some(q) = quote {
            if c == q {
                quote = None;
                let rest = &line[at + 1..];
                if depth == 0
                    && (rest.starts_with("- ")
                        || yaml_key_len(rest)
                            .is_some_and(|n| rest[n..].starts_with([' ', '-']) || rest.len() == n))
                {
                    return Some(at + 1);
                }
            }
            continue;
        }
        match c {
            '"' | '\'' if prev.is_none_or(|p| p == ' ' || p == '[' || p == ',' || p == '{') => {
                quote = Some(c)
            }
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            '-' if depth == 0
                && line[at + 1..].starts_with(' ')
                && prev.is_some_and(|p| !p.is_whitespace() && p != '-' && p != '#') =>
            {
                return Some(at);
            }
            '#' if prev.is_some_and(|p| p.is_alphanumeric())
                && line[at + 1..].starts_with(['-', ' ']) =>
            {
                return Some(at);
            }
            ':' if depth == 0 && key_colon(&line[at + 1..]) => {
                if let Some(p) = glued_key_start(line, from, at) {
                    return Some(p);
                }
            }
            _ => {}
        }
    }
    None
}

/// After a colon: does it end a mapping key (`key: v`, `key:`, `key:- item`, `key:child:`)?
fn key_colon(rest: &str) -> bool {
    rest.is_empty()
        || rest.starts_with(' ')
        || rest.starts_with("- ")
        || yaml_key_len(rest).is_some()
}

/// The start of a known key glued to the word ending at the colon at byte `colon`.
fn glued_key_start(line: &str, from: usize, colon: usize) -> Option<usize> {
    let word = &line[from..colon];
    let run_start = word
        .char_indices()
        .rfind(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |(p, c)| p + c.len_utf8());
    let run = &word[run_start..];
    let best = run
        .char_indices()
        .skip(1)
        .map(|(b, _)| b)
        .find(|&b| YAML_KEY_LIST.contains(&run[b..]))?;
    Some(from + run_start + best)
}

/// `--v=3 \--log-dir=x`: a lost line continuation in a body line.
fn continuation_in_text(line: &str) -> Option<usize> {
    line.match_indices(" \\")
        .map(|(at, _)| at + 2)
        .find(|&at| line[at..].starts_with(|c: char| c == '-' || c.is_ascii_alphanumeric()))
}

/// The first split of a heredoc body line by its own format; never 0.
fn body_line_split(line: &str, format: BodyFormat) -> Option<usize> {
    let p = match format {
        BodyFormat::Json if json_like(line) => json_split(line),
        BodyFormat::Yaml => yaml_split(line),
        BodyFormat::Ini => ini_split(line),
        _ => None,
    };
    p.filter(|&p| p > 0 && p < line.len())
}

// ---------------------------------------------------------------------------------------------
// Script repair
// ---------------------------------------------------------------------------------------------

/// One output line and how to indent it.
struct OutLine {
    text: String,
    indent: Indent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Indent {
    /// Keep the text as it is (it already has its indentation, or is a heredoc body).
    Keep,
    /// Indent by this many levels.
    Levels(usize),
}

const INDENT: &str = "    ";

/// Lines longer than this (in bytes) are left as they are: nothing typed at a prompt is that
/// long, and the search for glue grows with the square of a line's length.
const MAX_LINE: usize = 16 * 1024;

fn render(lines: &[OutLine], indent: &str) -> String {
    let keep = lines
        .iter()
        .rposition(|l| !l.text.trim().is_empty())
        .map_or(0, |p| p + 1);
    let lines = &lines[..keep];
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    for l in lines {
        let text = l.text.trim_end();
        match l.indent {
            Indent::Levels(n) if !text.is_empty() => {
                out.push(format!("{}{}", indent.repeat(n), text.trim_start()));
            }
            _ => out.push(text.to_string()),
        }
    }
    out.join("\n")
}

/// Words that sit one level out from the block they belong to.
fn dedents(first: &str) -> bool {
    matches!(
        first,
        "done" | "fi" | "esac" | "}" | "else" | "elif" | "then" | "do" | ";;"
    )
}

/// Nesting at the start of a piece, for its indentation.
#[derive(Clone, Copy, Debug)]
struct Nesting {
    depth: usize,
    continued: bool,
}

impl Nesting {
    fn of(st: &ShellState) -> Nesting {
        Nesting {
            depth: st.depth(),
            continued: st.continued,
        }
    }

    /// Indentation of a command line piece: from the nesting depth.
    fn indent(self, piece: &str, keep_existing: bool) -> Indent {
        if keep_existing && piece.starts_with(char::is_whitespace) {
            return Indent::Keep;
        }
        let first = first_word(piece);
        let first = first.split(';').next().unwrap_or(first);
        let level = if self.continued {
            self.depth + 1
        } else if dedents(first) {
            self.depth.saturating_sub(1)
        } else {
            self.depth
        };
        Indent::Levels(level)
    }
}

/// Restore a glued script (no prompts): one command per line, using shell structure — split
/// after `do`, `then`, `else`, before `done`, `fi`, `esac`, between a command and a following
/// known command name that was glued onto it (`continuedocker tag` -> `continue` /
/// `docker tag`, `do[[ ... ]]` -> `do` / `[[ ... ]]`), heredoc bodies and terminators (`EOF`)
/// on their own lines; indentation restored from the nesting (4 spaces per level). Returns the
/// repaired text.
pub fn repair_script(text: &str) -> (String, Vec<Fix>) {
    repair_script_indented(text, INDENT)
}

/// [`repair_script`] with `indent` for each level of nesting (a script inside a YAML block
/// scalar takes YAML's two spaces).
pub fn repair_script_indented(text: &str, indent: &str) -> (String, Vec<Fix>) {
    let (mut out, mut fixes, mut open) = run_script(text, indent);
    // A loop or `if` still open at the end may have had its `done` or `fi` glued into the
    // comment before it (`echo $HOSTNAME # 容器内变量 done`): moved out, while that closes more.
    let mut text = std::borrow::Cow::Borrowed(text);
    while open > 0 {
        let Some((fixed, line)) = closer_out_of_comment(&text) else {
            break;
        };
        let (o, mut f, still_open) = run_script(&fixed, indent);
        if still_open >= open {
            break;
        }
        f.push(Fix::new(
            line,
            "glued-keyword",
            "a closing keyword glued to the end of a comment moved to its own line",
        ));
        (out, fixes, open, text) = (o, f, still_open, std::borrow::Cow::Owned(fixed));
    }
    // A comment the repair itself told apart (`doroot@h:~# 注释 done`): the same, on the result.
    while open > 0 {
        let Some((fixed, line)) = closer_out_of_comment(&out) else {
            break;
        };
        let (o, _, still_open) = run_script(&fixed, indent);
        if still_open >= open {
            break;
        }
        // The comment's line in the text as given.
        let comment = out.split('\n').nth(line - 1).unwrap_or_default().trim();
        let line = text
            .split('\n')
            .position(|l| l.contains(comment))
            .map_or(line, |n| n + 1);
        fixes.push(Fix::new(
            line,
            "glued-keyword",
            "a closing keyword glued to the end of a comment moved to its own line",
        ));
        (out, open) = (o, still_open);
    }
    (out, fixes)
}

/// `text` with the last comment that ends in `done`, `fi` or `esac` (after a space; or with a
/// command or comment glued after the word) cut before that word, and the comment's line
/// number; `None` when no comment ends so.
fn closer_out_of_comment(text: &str) -> Option<(String, usize)> {
    let lines: Vec<&str> = crate::lines::split_lines(text).collect();
    let (n, at) = lines.iter().enumerate().rev().find_map(|(n, line)| {
        let sc = scan(line, &[]);
        let hash = sc.comment_start()?;
        let comment = &line[sc.offs[hash]..];
        let comment = comment.trim_end();
        ["done", "fi", "esac"].iter().find_map(|word| {
            // At the end, or with the next command or comment glued to it (`… donekubectl`).
            let (at, _) = comment.rmatch_indices(word).find(|&(at, _)| {
                let rest = &comment[at + word.len()..];
                comment[..at].ends_with(char::is_whitespace)
                    && (rest.is_empty() || rest.starts_with('#') || starts_command(rest))
            })?;
            Some((n, sc.offs[hash] + at))
        })
    })?;
    let mut fixed = lines.clone();
    let split = format!("{}\n{}", lines[n][..at].trim_end(), &lines[n][at..]);
    fixed[n] = &split;
    Some((fixed.join("\n"), n + 1))
}

/// [`repair_script_indented`] in one pass; also how many blocks (`for`, `if`, `case`, `{`)
/// are still open at the end.
fn run_script(text: &str, indent: &str) -> (String, Vec<Fix>, usize) {
    // The commands run on lines of their own are learned from the lines; a repair can bring more
    // of them to the start of a line, so learn again from the result until nothing new turns up.
    let mut ran = Ran::of(text);
    for _ in 0..8 {
        let (out, fixes, open) = run_script_with(text, indent, ran.clone());
        let learned = Ran::of(&out);
        if learned.within(&ran) {
            return (out, fixes, open);
        }
        ran.add(learned);
    }
    run_script_with(text, indent, ran)
}

fn run_script_with(text: &str, indent: &str, ran: Ran) -> (String, Vec<Fix>, usize) {
    let mut script = Script {
        st: ShellState::new(),
        learned: Learned {
            commands: ran,
            ..Learned::default()
        },
        out: Vec::new(),
        fixes: Vec::new(),
    };
    for (n, raw) in text.lines().enumerate() {
        script.line(raw, n + 1);
    }
    let open = script.st.blocks.len();
    (render(&script.out, indent), script.fixes, open)
}

struct Script {
    st: ShellState,
    /// What the script teaches: the commands it runs (scripts have no prompts).
    learned: Learned,
    out: Vec<OutLine>,
    fixes: Vec<Fix>,
}

impl Script {
    /// Repairs one input line, appending its pieces to `out`.
    fn line(&mut self, raw: &str, line_no: usize) {
        let mut rest = raw.trim_end();
        if rest.len() > MAX_LINE {
            self.out.push(OutLine {
                text: rest.to_string(),
                indent: Indent::Keep,
            });
            if self.st.bodies.is_empty() {
                finish_line(rest, &mut self.st);
            }
            return;
        }
        let mut first = true;
        loop {
            let (len, rule) = if self.st.bodies.is_empty() {
                self.command_piece(rest, first)
            } else {
                self.body_piece(rest)
            };
            rest = &rest[len..];
            if rest.trim().is_empty() {
                return;
            }
            self.fixes
                .push(Fix::new(line_no, rule, split_message(rule)));
            first = false;
        }
    }

    /// Emits the first piece of a heredoc body line; returns its length and why the rest of
    /// the line was split off.
    fn body_piece(&mut self, piece: &str) -> (usize, &'static str) {
        match body_step(piece, &mut self.st.bodies[0], &self.learned) {
            BodyStep::Text { len, rule } => {
                self.out.push(OutLine {
                    text: piece[..len].to_string(),
                    indent: Indent::Keep,
                });
                (len, rule.unwrap_or("glued-heredoc"))
            }
            BodyStep::Terminator { len } => {
                self.st.bodies.remove(0);
                self.out.push(OutLine {
                    text: piece[..len].trim().to_string(),
                    indent: Indent::Levels(0),
                });
                (len, "glued-command")
            }
        }
    }

    /// Emits the first piece of a command line; returns its length and why the rest of the
    /// line was split off.
    fn command_piece(&mut self, piece: &str, first: bool) -> (usize, &'static str) {
        let nesting = Nesting::of(&self.st);
        self.st.cmdpos = self.st.cmdpos || !self.st.continued;
        let learned = &self.learned;
        let split = settled_split(piece, &mut self.st, |t, st| script_split(t, st, learned));
        let len = split.map_or(piece.len(), |s| s.at);
        let head = &piece[..len];
        self.out.push(OutLine {
            text: head.to_string(),
            indent: nesting.indent(head, first),
        });
        self.st.output.see(head);
        match split {
            Some(s) => {
                advance_after_split(head, &mut self.st, s.tail);
                (len, s.rule)
            }
            None => {
                finish_line(head, &mut self.st);
                (len, "glued-command")
            }
        }
    }
}

/// The first split of a script piece: glued commands, keywords and comments, or (on a line
/// that is not a command) glued output lines.
fn script_split(piece: &str, st: &mut ShellState, learned: &Learned) -> Option<Split> {
    let plen = host_prompt_len(piece);
    let output_at = script_output_split(piece, st).filter(|_| plen == 0);
    let head = &piece[..output_at.unwrap_or(piece.len())];
    find_command_split(&head[plen..], st, Mode::Script, learned)
        .map(|s| Split {
            at: s.at + plen,
            ..s
        })
        .or(output_at.map(|at| Split {
            at,
            rule: "glued-output",
            tail: Tail::Command,
        }))
}

/// A `[user@host dir]# ` or `user@host:dir$ ` prompt at the start of a script line: kept as it is.
fn host_prompt_len(line: &str) -> usize {
    let t = line.trim_start();
    if t.starts_with(['$', '#']) {
        return 0;
    }
    prompt_len(t).map_or(0, |n| n + line.len() - t.len())
}

/// Command output pasted into a script (a table, `Key: value` lines): split by its shape.
fn script_output_split(piece: &str, st: &ShellState) -> Option<usize> {
    let t = piece.trim_start();
    if st.continued || t.starts_with('#') || starts_command(t) {
        return None;
    }
    let p = output_line_split(piece, &st.output)?.0;
    // Only where the shell would see the end of a command, never inside quotes.
    scan(&piece[..p], &st.frames).end.is_empty().then_some(p)
}

fn split_message(rule: &str) -> &'static str {
    match rule {
        "glued-prompt" => "prompt moved to the start of its own line",
        "glued-output" => "command output moved to its own line",
        "glued-keyword" => "shell keyword moved to its own line",
        "glued-continuation" => "continuation after `\\` moved to its own line",
        "glued-comment" => "comment moved to its own line",
        "glued-heredoc" => "heredoc body moved to its own line",
        _ => "glued command moved to its own line",
    }
}

/// State after emitting the head of a split line; returns what the tail really is (a head
/// ending with `\` makes it a continuation whatever found the split).
fn advance_after_split(head: &str, st: &mut ShellState, tail: Tail) -> Tail {
    let sc = scan(&head[host_prompt_len(head)..], &st.frames);
    let tail = if ends_with_continuation(&sc) && matches!(tail, Tail::Command | Tail::Output) {
        Tail::Continuation
    } else {
        tail
    };
    st.frames = sc.end;
    if tail == Tail::Prompt {
        // A prompt glued to a heredoc's command line: the body never came.
        st.pending.clear();
    }
    match tail {
        Tail::Continuation => st.continued = true,
        Tail::Body => {
            st.end_of_command_line();
            st.continued = false;
        }
        _ => {
            st.frames.clear();
            st.end_of_command_line();
            st.continued = false;
            st.cmdpos = true;
            st.cmd = None;
        }
    }
    tail
}

/// State after a line that had no (more) splits.
fn finish_line(line: &str, st: &mut ShellState) {
    let sc = scan(&line[host_prompt_len(line)..], &st.frames);
    st.frames = sc.end.clone();
    let trailing_backslash = ends_with_continuation(&sc);
    st.continued = trailing_backslash || !st.frames.is_empty();
    if !st.continued {
        st.end_of_command_line();
        let last_op = line.trim_end().ends_with(['|', '&']);
        st.cmdpos = true;
        if !last_op {
            st.cmd = None;
        }
    }
}

fn ends_with_continuation(sc: &Scanned) -> bool {
    let n = sc.chars.len();
    if n == 0 || sc.chars[n - 1] != '\\' || !sc.code(n - 1) {
        return false;
    }
    // An even run of backslashes is escaped backslashes.
    let run = sc.chars.iter().rev().take_while(|&&c| c == '\\').count();
    run % 2 == 1
}

/// One step through a heredoc body line.
enum BodyStep {
    /// `len` bytes of body text; the body goes on.
    Text {
        len: usize,
        rule: Option<&'static str>,
    },
    /// `len` bytes ending with the terminator; the body ends.
    Terminator { len: usize },
}

fn body_step(piece: &str, h: &mut Heredoc, learned: &Learned) -> BodyStep {
    let starts_with_term =
        find_terminator(piece, &h.term, learned).is_some_and(|(s, _)| piece[..s].trim().is_empty());
    if h.format.is_none() && !starts_with_term && !piece.trim().is_empty() {
        h.format = Some(BodyFormat::of(piece));
    }
    let format = h.format.unwrap_or(BodyFormat::Other);
    let term = h.term.as_str();
    let len = settled(piece, |t| body_split(t, term, format, learned)).unwrap_or(piece.len());
    if piece[..len].trim() == term {
        return BodyStep::Terminator { len };
    }
    let rule = if len == piece.len() {
        None
    } else if piece[len..].starts_with(term) {
        Some("glued-heredoc")
    } else {
        Some("glued-output")
    };
    BodyStep::Text { len, rule }
}

/// The first place to break a heredoc body line: around its terminator or inside the line.
fn body_split(line: &str, term: &str, format: BodyFormat, learned: &Learned) -> Option<usize> {
    let inner = body_line_split(line, format);
    match find_terminator(line, term, learned) {
        Some((s, e)) if line[..s].trim().is_empty() => (e < line.len()).then_some(e),
        Some((s, _)) => Some(inner.map_or(s, |p| p.min(s))),
        None => inner,
    }
}

// ---------------------------------------------------------------------------------------------
// Session repair
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SessionMode {
    Output,
    /// Continuation lines of the current command.
    Command,
}

/// Restore a glued terminal session: every prompt starts a new line (`cmd[root@h ~]# next`
/// splits before the prompt), output glued to the next prompt is split off, `\` continuation
/// lines and heredoc bodies are kept with their command, and trailing whitespace is trimmed.
/// Output lines stay as output. Returns the repaired text (no trailing newline).
pub fn repair_session(text: &str) -> (String, Vec<Fix>) {
    // Prompts (and the rest) are learned from the lines; a repair can bring more prompts to the
    // start of a line, so learn again from the result until nothing new turns up.
    let mut learned = Learned::learn(text);
    for _ in 0..8 {
        let (out, fixes) = repair_session_with(text, learned.clone());
        let again = Learned::learn(&out);
        if again.within(&learned) {
            return (out, fixes);
        }
        learned.add(again);
    }
    repair_session_with(text, learned)
}

fn repair_session_with(text: &str, learned: Learned) -> (String, Vec<Fix>) {
    let mut st = ShellState::new();
    st.output.starts = (!learned.output_starts.is_empty())
        .then(|| aho_corasick::AhoCorasick::new(&learned.output_starts).ok())
        .flatten();
    let mut session = Session {
        learned,
        st,
        mode: SessionMode::Output,
        out: Vec::new(),
        fixes: Vec::new(),
    };
    for (n, raw) in text.lines().enumerate() {
        session.line(raw, n + 1);
    }
    (render(&session.out, INDENT), session.fixes)
}

struct Session {
    learned: Learned,
    st: ShellState,
    mode: SessionMode,
    out: Vec<OutLine>,
    fixes: Vec<Fix>,
}

/// One emitted piece of a session line.
struct Step {
    len: usize,
    rule: Option<&'static str>,
    /// Indentation of the piece split off after this one.
    next: Indent,
}

impl Step {
    fn whole(len: usize) -> Step {
        Step {
            len,
            rule: None,
            next: Indent::Keep,
        }
    }

    fn split(len: usize, rule: &'static str) -> Step {
        Step {
            len,
            rule: Some(rule),
            next: Indent::Keep,
        }
    }
}

impl Session {
    fn line(&mut self, raw: &str, line_no: usize) {
        let mut rest = raw.trim_end();
        if rest.len() > MAX_LINE {
            self.out.push(OutLine {
                text: rest.to_string(),
                indent: Indent::Keep,
            });
            self.mode = SessionMode::Output;
            return;
        }
        let mut first_piece = true;
        let mut indent = Indent::Keep;
        while !rest.is_empty() || first_piece {
            let step = self.step(rest);
            let len = step.len.max(1).min(rest.len());
            let len = (len..=rest.len())
                .find(|&l| rest.is_char_boundary(l))
                .unwrap_or(rest.len());
            self.out.push(OutLine {
                text: rest[..len].to_string(),
                indent,
            });
            indent = step.next;
            if let Some(rule) = step.rule {
                self.fixes
                    .push(Fix::new(line_no, rule, split_message(rule)));
            }
            rest = &rest[len..];
            first_piece = false;
        }
    }

    fn step(&mut self, piece: &str) -> Step {
        let prompt = prompt_len(piece.trim_start());
        if host_prompt_len(piece) > 0 || self.learned.at_start(piece.trim_start()) {
            // A heredoc body never holds a prompt: the body was cut short.
            self.st.bodies.clear();
        }
        if !self.st.bodies.is_empty() {
            self.body(piece)
        } else if self.mode == SessionMode::Command && prompt.is_none() {
            self.command(piece, 0)
        } else if let Some(p) = prompt {
            let starts = std::mem::take(&mut self.st.output.starts);
            self.st = ShellState::new();
            self.st.output.starts = starts;
            self.command(piece, piece.len() - piece.trim_start().len() + p)
        } else {
            self.output(piece)
        }
    }

    fn body(&mut self, piece: &str) -> Step {
        match body_step(piece, &mut self.st.bodies[0], &self.learned) {
            BodyStep::Text { len, rule } => Step {
                len,
                rule,
                next: Indent::Keep,
            },
            BodyStep::Terminator { len } => {
                self.st.bodies.remove(0);
                if self.st.bodies.is_empty() {
                    self.mode = SessionMode::Output;
                }
                let rule = (!piece[len..].trim().is_empty()).then_some("glued-prompt");
                Step {
                    len,
                    rule,
                    next: Indent::Keep,
                }
            }
        }
    }

    /// A command line (after a prompt of `plen` bytes, or a continuation line).
    fn command(&mut self, piece: &str, plen: usize) -> Step {
        let cmd = &piece[plen..];
        let st = &mut self.st;
        st.cmdpos = st.cmdpos || !st.continued;
        let learned = &self.learned;
        match settled_split(cmd, st, |t, st| {
            find_command_split(t, st, Mode::Session, learned)
        }) {
            None => {
                finish_line(cmd, st);
                st.output.yaml |= prints_yaml(cmd);
                self.mode = if st.continued {
                    SessionMode::Command
                } else {
                    SessionMode::Output
                };
                Step::whole(piece.len())
            }
            Some(split) => {
                let head = &cmd[..split.at];
                let tail = advance_after_split(head, st, split.tail);
                st.output.yaml |= prints_yaml(head);
                self.mode = match tail {
                    Tail::Continuation => SessionMode::Command,
                    _ => SessionMode::Output,
                };
                let next = if tail == Tail::Continuation {
                    Indent::Levels(1)
                } else {
                    Indent::Keep
                };
                Step {
                    len: plen + split.at,
                    rule: Some(split.rule),
                    next,
                }
            }
        }
    }

    /// An output line: split before a glued prompt or between glued output lines.
    fn output(&mut self, piece: &str) -> Step {
        self.mode = SessionMode::Output;
        let (learned, ctx) = (&self.learned, &self.st.output);
        let find = |t: &str| {
            let prompt = learned.find_glued(t, None);
            let before = &t[..prompt.unwrap_or(t.len())];
            let inner = if before.trim_start().starts_with('#') {
                find_command_split(before, &mut ShellState::new(), Mode::Script, learned)
                    .map(|s| s.at)
            } else {
                output_line_split(before, ctx).map(|(p, _)| p)
            };
            inner.or(prompt)
        };
        let step = match settled(piece, find) {
            Some(len) => {
                let rule = if learned.at_start(&piece[len..]) {
                    "glued-prompt"
                } else {
                    "glued-output"
                };
                Step::split(len, rule)
            }
            None => Step::whole(piece.len()),
        };
        self.st.output.see(&piece[..step.len]);
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn script(text: &str) -> String {
        repair_script(text).0
    }

    fn session(text: &str) -> String {
        repair_session(text).0
    }

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(|l| l.trim().to_string()).collect()
    }

    // ---- prompt_len, looks_like_command, is_session

    #[test]
    fn a_command_the_script_runs_on_its_own_line_is_split_off_the_word_it_is_glued_to() {
        assert_eq!(
            script(
                "tc filter add dev eth0 parent 1:0\n# download ratetc class add dev eth0 parent 1:"
            ),
            "tc filter add dev eth0 parent 1:0\n# download rate\ntc class add dev eth0 parent 1:"
        );
        assert_eq!(
            script("echo \"start\"\nmkdir -p /out/modelecho \"copying\""),
            "echo \"start\"\nmkdir -p /out/model\necho \"copying\""
        );
        // `tar … -` reads standard input; `export` is run on a line of its own.
        assert_eq!(
            script("tar -C /usr/local -zxf -export GOPATH=/gopath\nexport PATH=$PATH:/x"),
            "tar -C /usr/local -zxf -\nexport GOPATH=/gopath\nexport PATH=$PATH:/x"
        );
    }

    #[test]
    fn a_name_that_ends_common_words_is_split_off_only_with_the_same_arguments() {
        for text in [
            "ls /tmp\n# install tools first\npip install tools now",
            "date\napt-get update && apt-get install -y curl",
            "exec bash\nfind . -name x -exec rm {} \\;",
            "make\ncmake ..",
        ] {
            assert_eq!(script(text), text);
        }
    }

    #[test]
    fn a_closer_glued_into_a_comment_before_the_next_command_closes_its_loop() {
        let once = script("for i in a b; doecho $i # 注释 donekubectl get pods");
        assert_eq!(
            once,
            "for i in a b; do\n    echo $i # 注释\ndone\nkubectl get pods"
        );
        assert_eq!(script(&once), once);
    }

    #[test]
    fn an_output_line_glued_to_one_that_starts_like_others_is_split() {
        let text = "$ linkerd tap deploy web\nreq id=0:1 src=10.0.0.1 :path=/Vote rsp id=0:1 :status=200\nend id=0:1 length=5Breq id=0:2 src=10.0.0.1\nrsp id=0:2 :status=200\nend id=0:2 length=5B";
        assert_eq!(
            session(text),
            "$ linkerd tap deploy web\nreq id=0:1 src=10.0.0.1 :path=/Vote rsp id=0:1 :status=200\nend id=0:1 length=5B\nreq id=0:2 src=10.0.0.1\nrsp id=0:2 :status=200\nend id=0:2 length=5B"
        );
        // After a space the same words are not glued; met once only, they are no evidence.
        for text in [
            "$ cat notes\nWarning: low disk space ahead, see Warning: above",
            "$ cat notes\nstatus: ok, lastWarning: none",
        ] {
            assert_eq!(session(text), text);
        }
    }

    #[test]
    fn output_glued_to_a_variable_the_session_set_is_split_off() {
        assert_eq!(
            session("$ pods=$(kubectl get pods -o name)\n$ kubectl logs $pods3.14159265358979"),
            "$ pods=$(kubectl get pods -o name)\n$ kubectl logs $pods\n3.14159265358979"
        );
        // A longer name the session set, one it never set, or one short word more is left whole.
        for text in [
            "$ export DIR=/x\n$ DIR2=/y\n$ ls $DIR2",
            "$ for f in a b; do echo $f; done\n$ echo $HOME2",
            "$ pods=a\n$ echo $podsx",
        ] {
            assert_eq!(session(text), text);
        }
    }

    #[test]
    fn a_command_glued_after_a_program_folder_starts_a_line() {
        assert_eq!(
            script("sudo cp -f etcd /usr/binrm -rf /tmp/etcd.tar.gz"),
            "sudo cp -f etcd /usr/bin\nrm -rf /tmp/etcd.tar.gz"
        );
        // Not a command after the folder's name: left as it is.
        let text = "ls /proc/sys/fs/binfmt_misc";
        assert_eq!(script(text), text);
    }

    #[test]
    fn a_second_argument_of_cd_starts_a_command() {
        assert_eq!(
            script("cd /opt/k8s/worksource /opt/k8s/bin/environment.sh"),
            "cd /opt/k8s/work\nsource /opt/k8s/bin/environment.sh"
        );
    }

    #[test]
    fn a_shell_given_a_command_string_or_a_command_after_an_acronym_ends_a_comment() {
        assert_eq!(
            script("# 安装 Dockersh -c 'echo hi > /etc/x'"),
            "# 安装 Docker\nsh -c 'echo hi > /etc/x'"
        );
        assert_eq!(
            script("# List the files in GCSgcloud storage ls gs://bucket/"),
            "# List the files in GCS\ngcloud storage ls gs://bucket/"
        );
    }

    #[test]
    fn prompt_len_bracket_prompt() {
        assert_eq!(prompt_len("[root@master ~]# kubectl get pods"), Some(17));
        assert_eq!(prompt_len("[dev@web-01 app]$ ls"), Some(18));
    }

    #[test]
    fn prompt_len_colon_prompt() {
        assert_eq!(prompt_len("root@node1:~# ls"), Some(14));
        assert_eq!(prompt_len("ops@web:/var/log$ tail x"), Some(18));
    }

    #[test]
    fn prompt_len_dollar_prompt() {
        assert_eq!(prompt_len("$ docker ps"), Some(2));
        assert_eq!(prompt_len("$"), Some(1));
        assert_eq!(prompt_len("$HOME/bin/run"), None);
    }

    #[test]
    fn prompt_len_hash_prompt_only_before_a_command() {
        assert_eq!(prompt_len("# systemctl restart docker"), Some(2));
        assert_eq!(prompt_len("# Install the tools"), None);
        assert_eq!(prompt_len("# cd 到项目目录"), None);
        // A command that is also a word needs an argument only a command takes.
        assert_eq!(prompt_len("# cat /etc/hosts"), Some(2));
        assert_eq!(prompt_len("# ls -l"), Some(2));
        assert_eq!(prompt_len("# ls"), None);
        assert_eq!(prompt_len("# find the pods"), None);
        assert_eq!(prompt_len("# test - 测试"), None);
    }

    #[test]
    fn a_script_flattened_to_one_line_gets_its_lines_back() {
        let flat = |s: &str| split_flat_script(s);
        // Reserved words where only a new line could hold them, and bodies after `then`/`do`.
        assert_eq!(
            flat(
                "echo \"waiting\" until curl -sf http://web; do echo \"not yet\" sleep 5 done echo \"up\""
            ),
            [
                "echo \"waiting\"",
                "until curl -sf http://web; do",
                "echo \"not yet\"",
                "sleep 5",
                "done",
                "echo \"up\""
            ]
        );
        // A command shown by its option; a script run by its path; an assignment before `echo`.
        assert_eq!(
            flat(
                "N=${COUNT} echo \"start $N\" set -ex /opt/run.sh --all cp -r /a/. /b sysctl -w a=0 sysctl -w b=0"
            ),
            [
                "N=${COUNT}",
                "echo \"start $N\"",
                "set -ex",
                "/opt/run.sh --all",
                "cp -r /a/. /b",
                "sysctl -w a=0",
                "sysctl -w b=0"
            ]
        );
        // A Chinese comment ends where code resumes.
        assert_eq!(
            flat("echo a # 失败时退出 if [ $? -ne 0 ]; then exit 1 fi"),
            [
                "echo a",
                "# 失败时退出",
                "if [ $? -ne 0 ]; then",
                "exit 1",
                "fi"
            ]
        );
        // What could be one command stays one: one-liners, programs named as arguments, prose.
        for line in [
            "for f in *.log; do gzip $f; done",
            "apt-get install -y curl wget",
            "docker run --rm ubuntu bash -c 'ls -l'",
            "echo wait until it is done",
            "kubectl exec web -- ls -l /data",
        ] {
            assert_eq!(flat(line), [line]);
        }
    }

    #[test]
    fn a_command_with_arguments_glued_to_a_chinese_comment_starts_a_line() {
        let (out, _) = repair_script(
            "if [ $I -eq 0 ]; then\necho leader\n# 领导者逻辑sleep 30\nfi\n# 安装docker\nyum install -y docker\n# 使用kubectl get pods查看\nkubectl get pods",
        );
        assert_eq!(
            out,
            "if [ $I -eq 0 ]; then\n    echo leader\n    # 领导者逻辑\n    sleep 30\nfi\n# 安装docker\nyum install -y docker\n# 使用kubectl get pods查看\nkubectl get pods"
        );
    }

    #[test]
    fn a_command_glued_to_a_comment_is_found() {
        let line = "# List the bucket filesgsutil ls -l gs://b/";
        assert_eq!(
            command_in_comment(line).map(|at| &line[at..]),
            Some("gsutil ls -l gs://b/")
        );
        assert_eq!(command_in_comment("# List the bucket files"), None);
        assert_eq!(command_in_comment("ls -l # long"), None);
    }

    #[test]
    fn looks_like_command_known_names_keywords_assignments() {
        assert!(looks_like_command("kubectl get pods -A"));
        assert!(looks_like_command("for i in 1 2 3; do"));
        assert!(looks_like_command("VERSION=1.2.3"));
        assert!(looks_like_command("./install.sh --yes"));
        assert!(looks_like_command("#!/bin/bash"));
        assert!(!looks_like_command("Hello world"));
    }

    #[test]
    fn looks_like_command_rejects_chinese_prose() {
        assert!(!looks_like_command("cd 到项目的根目录下面执行构建"));
        assert!(!looks_like_command("镜像仓库"));
    }

    #[test]
    fn is_session_detects_prompts() {
        assert!(is_session("[root@h ~]# ls\na b"));
        assert!(is_session("# 查看\nroot@h:~# ls"));
        assert!(is_session("$ kubectl get ns"));
        assert!(is_session("$ radosgw-admin user list"));
    }

    #[test]
    fn is_session_rejects_scripts_with_comments() {
        assert!(!is_session("# install docker\nyum install -y docker"));
        assert!(!is_session(
            "# systemctl restart docker\nsystemctl status docker"
        ));
    }

    // ---- sessions

    #[test]
    fn session_splits_prompt_glued_to_command() {
        let out = session("[root@h ~]# cd app/[root@h app]# git init");
        assert_eq!(out, "[root@h ~]# cd app/\n[root@h app]# git init");
    }

    #[test]
    fn session_splits_prompt_glued_to_output() {
        let out = session(
            "[root@h ~]# docker compose up -d\nCreating web_1 ... done[root@h ~]# docker ps",
        );
        assert_eq!(lines(&out)[2], "[root@h ~]# docker ps");
        assert_eq!(lines(&out)[1], "Creating web_1 ... done");
    }

    #[test]
    fn session_learns_colon_prompt_host() {
        let out = session("root@web:~# mkdir -p ~/dataroot@web:~# ls");
        assert_eq!(out, "root@web:~# mkdir -p ~/data\nroot@web:~# ls");
    }

    #[test]
    fn session_splits_dollar_prompt_after_output() {
        let out = session("$ kubectl api-versions\napps/v1$ kubectl get deploy");
        assert_eq!(
            lines(&out),
            ["$ kubectl api-versions", "apps/v1", "$ kubectl get deploy"]
        );
    }

    #[test]
    fn session_keeps_dollar_inside_quotes() {
        let text = "$ echo 'price $ kubectl'";
        assert_eq!(session(text), text);
    }

    #[test]
    fn session_splits_glued_continuation() {
        let out = session("[root@h ~]# docker run -d \\-v /a:/a \\--name web nginx");
        assert_eq!(
            lines(&out),
            [
                "[root@h ~]# docker run -d \\",
                "-v /a:/a \\",
                "--name web nginx"
            ]
        );
    }

    #[test]
    fn session_keeps_heredoc_body_and_splits_terminator_before_prompt() {
        let out = session("[root@h ~]# cat > a.txt <<EOF\nhello\nworldEOF[root@h ~]# ls");
        assert_eq!(
            lines(&out),
            [
                "[root@h ~]# cat > a.txt <<EOF",
                "hello",
                "world",
                "EOF",
                "[root@h ~]# ls"
            ]
        );
    }

    #[test]
    fn session_splits_kubectl_result_glued_to_command() {
        let out = session("[root@h ~]# kubectl apply -f web.yamldeployment.apps/web created");
        assert_eq!(
            lines(&out),
            [
                "[root@h ~]# kubectl apply -f web.yaml",
                "deployment.apps/web created"
            ]
        );
    }

    #[test]
    fn session_splits_glued_kubectl_results() {
        let out = session("$ kubectl apply -k .\nservice/web createddeployment.apps/web created");
        assert_eq!(
            lines(&out)[1..],
            ["service/web created", "deployment.apps/web created"]
        );
    }

    #[test]
    fn session_splits_pretty_json_output() {
        let out = session("$ curl -s localhost/info\n{\"name\": \"web\",\"zone\": \"a\"}");
        assert_eq!(
            lines(&out)[1..],
            ["{", "\"name\": \"web\",", "\"zone\": \"a\"", "}"]
        );
    }

    #[test]
    fn session_splits_table_header_glued_to_row() {
        let text =
            "$ kubectl get svc\nNAME   TYPE        PORT(S)   AGEweb    ClusterIP   80/TCP    5m";
        assert_eq!(
            lines(&session(text))[1..],
            [
                "NAME   TYPE        PORT(S)   AGE",
                "web    ClusterIP   80/TCP    5m"
            ]
        );
    }

    #[test]
    fn session_splits_glued_table_rows() {
        let text = "$ kubectl get ns\nNAME          STATUS   AGE\ndefault       Active   5dkube-system   Active   5d";
        assert_eq!(
            lines(&session(text))[2..],
            ["default       Active   5d", "kube-system   Active   5d"]
        );
    }

    #[test]
    fn session_splits_glued_key_value_lines() {
        let out = session("$ kubectl describe pvc data\nName: data01Namespace: default");
        assert_eq!(lines(&out)[1..], ["Name: data01", "Namespace: default"]);
    }

    #[test]
    fn session_trims_trailing_whitespace() {
        assert_eq!(
            session("[root@h ~]# ls   \na  b   "),
            "[root@h ~]# ls\na  b"
        );
    }

    #[test]
    fn session_leaves_clean_session_unchanged() {
        let text = "[root@h ~]# kubectl get pods\nNAME    READY   STATUS\nweb-1   1/1     Running\n# 查看日志\n[root@h ~]# kubectl logs web-1";
        assert_eq!(session(text), text);
    }

    #[test]
    fn session_reports_fixes_with_input_lines() {
        let (_, fixes) = repair_session("[root@h ~]# ls\na[root@h ~]# pwd");
        assert_eq!(fixes.len(), 1);
        assert_eq!((fixes[0].line, fixes[0].rule), (2, "glued-prompt"));
    }

    // ---- scripts

    #[test]
    fn script_splits_glued_loop_body() {
        let out = script("for n in a b; doecho \"$n\"ssh $n uptimedone");
        assert_eq!(
            out,
            "for n in a b; do\n    echo \"$n\"\n    ssh $n uptime\ndone"
        );
    }

    #[test]
    fn script_splits_do_before_test_and_continue_before_command() {
        let out = script("ls|while read f;do[[ -d $f ]] && continuedocker rm \"$f\"done");
        assert_eq!(
            lines(&out),
            [
                "ls|while read f;do",
                "[[ -d $f ]] && continue",
                "docker rm \"$f\"",
                "done"
            ]
        );
    }

    #[test]
    fn script_splits_if_then_fi() {
        let out = script("if ! id web; thenuseradd web -m -s /bin/bash -yfi");
        assert_eq!(
            lines(&out),
            ["if ! id web; then", "useradd web -m -s /bin/bash -y", "fi"]
        );
    }

    #[test]
    fn script_splits_command_glued_after_extension() {
        let out = script("kubectl apply -f web.yamlkubectl get pods");
        assert_eq!(out, "kubectl apply -f web.yaml\nkubectl get pods");
    }

    #[test]
    fn script_splits_command_glued_after_closing_paren() {
        let out = script("VER=$(curl -s https://x/v)cd app-$VER");
        assert_eq!(out, "VER=$(curl -s https://x/v)\ncd app-$VER");
    }

    #[test]
    fn a_closing_keyword_glued_to_a_comment_closes_its_loop() {
        let out = script("for i in 1 2\ndo\nsleep 1\necho $i   # 容器内变量 done");
        assert_eq!(
            out,
            "for i in 1 2\ndo\n    sleep 1\n    echo $i   # 容器内变量\ndone"
        );
        // A comment that ends in the word inside a closed loop stays whole.
        let out = script("for i in 1 2; do\necho $i # all done\ndone");
        assert_eq!(out, "for i in 1 2; do\n    echo $i # all done\ndone");
    }

    #[test]
    fn script_splits_command_glued_to_comment() {
        let out = script("# Install required toolsgcloud components install kubectl");
        assert_eq!(
            out,
            "# Install required tools\ngcloud components install kubectl"
        );
    }

    #[test]
    fn script_splits_comment_glued_to_command() {
        let out = script("kubectl get pv | grep Available# 查看存储类");
        assert_eq!(out, "kubectl get pv | grep Available\n# 查看存储类");
    }

    #[test]
    fn script_splits_glued_continuation() {
        let out = script("gcloud iam service-accounts create sa \\--display-name=\"SA\"");
        assert_eq!(
            out,
            "gcloud iam service-accounts create sa \\\n    --display-name=\"SA\""
        );
    }

    #[test]
    fn script_splits_heredoc_terminator_and_next_command() {
        let out = script("cat <<'EOF' > run.sh\necho hi\nexit 1EOFchmod +x run.sh");
        assert_eq!(
            lines(&out),
            [
                "cat <<'EOF' > run.sh",
                "echo hi",
                "exit 1",
                "EOF",
                "chmod +x run.sh"
            ]
        );
    }

    #[test]
    fn script_splits_heredoc_body_glued_to_command() {
        let out = script("cat <<EOF >$DIR/pass.txtsecretEOF");
        assert_eq!(lines(&out), ["cat <<EOF >$DIR/pass.txt", "secret", "EOF"]);
    }

    #[test]
    fn script_splits_yaml_heredoc_lines() {
        let out = script(
            "cat <<EOF | kubectl apply -f -\nkind: Podmetadata:name: webspec:containers:- name: web\nEOF",
        );
        assert_eq!(
            lines(&out),
            [
                "cat <<EOF | kubectl apply -f -",
                "kind: Pod",
                "metadata:",
                "name: web",
                "spec:",
                "containers:",
                "- name: web",
                "EOF"
            ]
        );
    }

    #[test]
    fn script_splits_json_heredoc_lines() {
        let out = script("cat <<EOF > a.json\n{\"a\": 1,\"b\": [1, 2]}\nEOF");
        assert_eq!(
            lines(&out),
            [
                "cat <<EOF > a.json",
                "{",
                "\"a\": 1,",
                "\"b\": [1, 2]",
                "}",
                "EOF"
            ]
        );
    }

    #[test]
    fn script_splits_ini_heredoc_lines() {
        let out =
            script("cat <<EOF > a.service\n[Unit]Description=Web serverAfter=network.target\nEOF");
        assert_eq!(
            lines(&out),
            [
                "cat <<EOF > a.service",
                "[Unit]",
                "Description=Web server",
                "After=network.target",
                "EOF"
            ]
        );
    }

    #[test]
    fn script_splits_case_items() {
        let out = script("case \"$1\" instart)run_it;;stop)kill_it;;esac");
        assert_eq!(
            lines(&out),
            [
                "case \"$1\" in",
                "start)",
                "run_it",
                ";;",
                "stop)",
                "kill_it",
                ";;",
                "esac"
            ]
        );
    }

    #[test]
    fn script_splits_function_braces() {
        let out = script("start(){if [ -f x ]; thenecho yesfi}");
        assert_eq!(
            lines(&out),
            ["start(){", "if [ -f x ]; then", "echo yes", "fi", "}"]
        );
    }

    #[test]
    fn script_splits_shebang_glued_to_command() {
        assert_eq!(script("#!/bin/bashset -e"), "#!/bin/bash\nset -e");
    }

    #[test]
    fn script_splits_extra_argument_of_cd() {
        assert_eq!(
            script("cd /tmp/curl -sL https://x/a.tgz"),
            "cd /tmp/\ncurl -sL https://x/a.tgz"
        );
    }

    #[test]
    fn script_keeps_one_line_loops() {
        let text = "for i in 1 2 3; do echo $i; done";
        assert_eq!(script(text), text);
    }

    #[test]
    fn script_keeps_words_ending_in_command_names() {
        for text in [
            "apt-get install -y socat git",
            "echo homebrew is used here",
            "find . -name '*.txt' -exec rm {} \\;",
            "openssl pkcs12 -export -out a.p12",
            "sudo csysdig -pc",
        ] {
            assert_eq!(script(text), text);
        }
    }

    #[test]
    fn script_keeps_quoted_text() {
        let text = "echo \"doneecho kubectl get\" 'fi[[ x'";
        assert_eq!(script(text), text);
    }

    #[test]
    fn script_indents_nested_blocks_by_four_spaces() {
        let out = script("for a in 1; do\nif true; then\necho $a\nfi\ndone");
        assert_eq!(
            out,
            "for a in 1; do\n    if true; then\n        echo $a\n    fi\ndone"
        );
    }

    #[test]
    fn script_keeps_existing_indentation() {
        let text = "if true; then\n  echo ok\nfi";
        assert_eq!(script(text), text);
    }

    #[test]
    fn script_reports_fixes() {
        let (_, fixes) = repair_script("ls\nkubectl get pods -Akubectl get svc");
        assert!(fixes.iter().all(|f| f.line == 2));
        assert!(!fixes.is_empty());
    }

    // ---- properties

    /// Fragments that exercise the repair rules when glued together at random.
    fn shellish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("[root@h ~]# ".to_string()),
            Just("root@h:~# ".to_string()),
            Just("$ ".to_string()),
            Just("kubectl get pods".to_string()),
            Just("docker ps".to_string()),
            Just("for i in a b; do".to_string()),
            Just("done".to_string()),
            Just("if true; then".to_string()),
            Just("fi".to_string()),
            Just("case x in".to_string()),
            Just("a)".to_string()),
            Just(";;".to_string()),
            Just("esac".to_string()),
            Just("cat <<EOF".to_string()),
            Just("EOF".to_string()),
            Just(" \\".to_string()),
            Just("# 注释".to_string()),
            Just("\"q".to_string()),
            Just("'".to_string()),
            Just("$(".to_string()),
            Just(")".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just("\n".to_string()),
            Just("NAME   READY   AGE".to_string()),
            Just("{\"a\": 1,".to_string()),
            Just("metadata:name: x".to_string()),
            Just("[Unit]A=b".to_string()),
            Just(".yaml".to_string()),
            Just(" -o yaml".to_string()),
            Just("Events:".to_string()),
            Just("Type     Reason   Age".to_string()),
            Just("Name: x".to_string()),
            Just("5f70bf18a086: Pushed".to_string()),
            Just("web_1 ... done".to_string()),
            Just("service/web created".to_string()),
            Just("function f {".to_string()),
            Just("do_it_now".to_string()),
            "[a-zA-Z0-9 _./=-]{0,8}",
            any::<String>(),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    fn non_ws(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    /// Inputs the property tests once found a problem with.
    const TRICKY: &[&str] = &[
        "🩰ෲ#",
        "[root@h ~]# kubectl get pods# 注释",
        "[root@h ~]# # 注释root@h:~# ",
        "NAME   READY   AGE[root@h ~]#  \\esac",
        "\n\n",
        "[root@h ~]# \"q[root@h ~]# [root@h ~]# ",
        " \\root@h:~# [root@h ~]# ",
        "{\"a\": 1,}kubectl get pods}# 注释\"q",
        "[root@h ~]# cat <<EOF# 注释# 注释",
        "NAME   READY   AGEdocker ps\"q# 注释",
        "cat <<EOF}case x incat <<EOF",
        "[root@h ~]# \"qcat <<EOF[root@h ~]# kubectl get podsNAME   READY   AGE",
        "cat <<EOFcat <<EOF\"qkubectl get pods.yaml[Unit]A=b",
        " \\# 注释",
        "{\"a\": 1, \\esac\"q",
        "[root@h ~]# cat <<EOF\"q\"q\"q[root@h ~]#  \\kubectl get pods",
        "$ kubectl get podsroot@h:~# for i in a b; do$ {# 注释",
        "root@h:~# a) \\case x in# 注释",
        "cat <<EOF\n{cat <<EOF{\"a\": 1,\n",
        "`''\n\\a",
        "cat <<EOF\nmetadata:name: xᚠmetadata:name: x",
        "[root@h ~]# $( \\[root@h ~]# # 注释 \\.yaml",
        " \\root@h:~# [root@h ~]# $( \\root@h:~# ",
        "[root@h ~]# cat <<EOF \\NAME   READY   AGE.yaml$ kubectl get podscat <<EOFkubectl get pods",
        "[root@h ~]#  -o yamlNAME   READY   AGEmetadata:name: x",
        "[root@h ~]#  -o yaml# 注释kubectl get podsmetadata:name: x",
        "[root@h ~]#  \\service/web createdEOFcase x inroot@h:~# Events:",
        "[root@h ~]# cat <<EOFservice/web createdType     Reason   Agecat <<EOF",
        "[root@h ~]# cat <<EOFservice/web createdEOFfor i in a b; do",
        "for i in a b; do=\"q\n{cat <<EOFkubectl get pods",
    ];

    #[test]
    fn tricky_inputs_are_idempotent_and_keep_characters() {
        for &s in TRICKY {
            for repair in [script, session] {
                let once = repair(s);
                assert_eq!(repair(&once), once, "{s:?}");
                assert_eq!(non_ws(&once), non_ws(s), "{s:?}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = repair_script(&s);
            let _ = repair_session(&s);
            let _ = is_session(&s);
            let _ = looks_like_command(&s);
            let _ = prompt_len(&s);
        }

        #[test]
        fn script_repair_is_idempotent(s in shellish()) {
            let once = script(&s);
            prop_assert_eq!(script(&once), once);
        }

        #[test]
        fn session_repair_is_idempotent(s in shellish()) {
            let once = session(&s);
            prop_assert_eq!(session(&once), once);
        }

        #[test]
        fn script_repair_keeps_every_visible_character(s in shellish()) {
            prop_assert_eq!(non_ws(&script(&s)), non_ws(&s));
        }

        #[test]
        fn session_repair_keeps_every_visible_character(s in shellish()) {
            prop_assert_eq!(non_ws(&session(&s)), non_ws(&s));
        }

        #[test]
        fn splitting_a_flat_script_keeps_every_visible_character(s in shellish()) {
            let flat = s.replace('\n', " ");
            prop_assert_eq!(non_ws(&split_flat_script(&flat).join("\n")), non_ws(&flat));
        }

        #[test]
        fn prompt_len_ends_on_a_char_boundary(s in shellish()) {
            if let Some(n) = prompt_len(&s) {
                prop_assert!(s.is_char_boundary(n));
            }
        }
    }
}
