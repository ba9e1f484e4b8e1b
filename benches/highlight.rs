//! Benchmark of code highlighting: syntax-set load time and throughput on a mixed corpus.
//!
//! Run with `cargo bench --bench highlight`. The corpus (about 2 MB of YAML, bash, console
//! sessions, JSON, Go and Dockerfiles, in blocks the size of those in study notes) is built
//! here, so the numbers compare regex backends and themes on equal input.

#[allow(dead_code)]
#[path = "../src/render/highlight.rs"]
mod highlight;

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use highlight::Highlighter;

const TARGET_BYTES: usize = 2 * 1024 * 1024;
const WARM_RUNS: usize = 5;
const LANGS: [&str; 6] = ["yaml", "bash", "console", "json", "go", "dockerfile"];

fn yaml_block(i: usize) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  namespace: team-{ns}\n  labels:\n    app: web-{i}\n    tier: \"frontend\"\n  annotations:\n    deployment.kubernetes.io/revision: \"{rev}\"\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: web-{i}}}\n  template:\n    metadata:\n      labels:\n        app: web-{i}\n    spec:\n      containers:\n        - name: nginx # 前端容器\n          image: nginx:1.{minor}.{i}\n          ports:\n            - containerPort: 80\n              protocol: TCP\n          env:\n            - name: LOG_LEVEL\n              value: 'debug'\n            - name: POD_IP\n              valueFrom:\n                fieldRef: {{fieldPath: status.podIP}}\n          resources:\n            limits: {{cpu: 500m, memory: 256Mi}}\n          livenessProbe:\n            httpGet: {{path: /healthz, port: 80}}\n            initialDelaySeconds: 5\n          args: [\"--port\", \"80\", \"--workers={w}\"]\n          command:\n            - /bin/sh\n            - -c\n            - |\n              echo \"start {i}\" && exec nginx -g 'daemon off;'\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-{i}\nspec:\n  type: NodePort\n  ports:\n  - port: 80\n    targetPort: 80\n    nodePort: {node_port}\n  selector:\n    app: web-{i}\n",
        ns = i % 7,
        rev = i % 13,
        replicas = i % 5 + 1,
        minor = 20 + i % 6,
        w = i % 8 + 1,
        node_port = 30000 + i % 2000,
    );
    s
}

fn bash_block(i: usize) -> String {
    format!(
        "#!/usr/bin/env bash\n# 安装 nfs 并挂载共享目录 {i}\nset -euo pipefail\n\nSERVER=\"192.168.100.{host}\"\nMOUNT_DIR=/nfs/data/{i}\n\nyum install -y nfs-utils rpcbind\nsystemctl enable rpcbind --now\nmkdir -p \"$MOUNT_DIR\"\nif ! showmount -e \"$SERVER\" | grep -q /nfs/data; then\n  echo \"export missing on $SERVER\" >&2\n  exit 1\nfi\nfor node in $(kubectl get nodes -o jsonpath='{{.items[*].metadata.name}}'); do\n  ssh \"root@${{node}}\" \"mount -t nfs ${{SERVER}}:/nfs/data ${{MOUNT_DIR}}\" || true\n  echo \"mounted on ${{node%%.*}} ($((i + {i})))\"\ndone\ncat > /etc/exports <<EOF\n/nfs/data/ *(insecure,rw,sync,no_root_squash)\nEOF\nexportfs -r\ncase \"$1\" in\n  start) systemctl start nfs-server ;;\n  stop)  systemctl stop nfs-server ;;\n  *)     echo \"usage: $0 start|stop\"; exit 2 ;;\nesac\n",
        host = i % 250 + 1,
    )
}

fn console_block(i: usize) -> String {
    format!(
        "[root@k8s-master ~]# kubectl get pods -n kube-system -o wide\nNAME                                 READY   STATUS    RESTARTS   AGE   IP              NODE\ncoredns-6d8c4cb4d-{i:05x}             1/1     Running   0          {age}d   10.244.0.{ip}      k8s-master\netcd-k8s-master                      1/1     Running   1          {age}d   192.168.100.3   k8s-master\nkube-apiserver-k8s-master            1/1     Running   1          {age}d   192.168.100.3   k8s-master\n$ kubectl describe pod web-{i} | grep -A3 Events\nEvents:\n  Type    Reason     Age   From               Message\n  Normal  Scheduled  {age}m   default-scheduler  Successfully assigned default/web-{i} to node1\n[root@k8s-master ~]# docker run -d --name web-{i} \\\n    -p {port}:80 -v /data:/usr/share/nginx/html nginx:latest\n{i:064x}\nroot@node1:~# cat <<EOF | kubectl apply -f -\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo-{i}\nEOF\nnamespace/demo-{i} created\n/ # wget -qO- http://web-{i}.default.svc.cluster.local\n<html><body>It works</body></html>\n",
        age = i % 30 + 1,
        ip = i % 250 + 2,
        port = 8000 + i % 1000,
    )
}

fn json_block(i: usize) -> String {
    format!(
        "{{\n  \"kind\": \"PodList\",\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {{\n      \"metadata\": {{\"name\": \"web-{i}\", \"namespace\": \"default\", \"uid\": \"{i:08x}-1f2e-4d3c-8b7a-{i:012x}\"}},\n      \"spec\": {{\n        \"containers\": [{{\"name\": \"nginx\", \"image\": \"nginx:1.25\", \"ports\": [{{\"containerPort\": 80}}]}}],\n        \"nodeName\": \"node{node}\",\n        \"restartPolicy\": \"Always\"\n      }},\n      \"status\": {{\"phase\": \"Running\", \"podIP\": \"10.244.1.{ip}\", \"ready\": true, \"restarts\": {r}, \"reason\": null, \"cpu\": {cpu:.3}}}\n    }}\n  ]\n}}\n",
        node = i % 5,
        ip = i % 250 + 2,
        r = i % 4,
        cpu = (i % 1000) as f64 / 7.0,
    )
}

fn go_block(i: usize) -> String {
    format!(
        "package main\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"net/http\"\n\t\"time\"\n)\n\n// Handler{i} serves health checks.\ntype Handler{i} struct {{\n\tname    string\n\ttimeout time.Duration\n}}\n\nfunc (h *Handler{i}) ServeHTTP(w http.ResponseWriter, r *http.Request) {{\n\tctx, cancel := context.WithTimeout(r.Context(), h.timeout)\n\tdefer cancel()\n\tselect {{\n\tcase <-ctx.Done():\n\t\thttp.Error(w, \"timeout\", http.StatusGatewayTimeout)\n\tdefault:\n\t\tfmt.Fprintf(w, \"ok %s %d\\n\", h.name, {i})\n\t}}\n}}\n\nfunc main() {{\n\th := &Handler{i}{{name: \"web-{i}\", timeout: {t} * time.Second}}\n\tfor i := 0; i < 3; i++ {{\n\t\tgo func(n int) {{ _ = n * 2 }}(i)\n\t}}\n\tif err := http.ListenAndServe(\":{port}\", h); err != nil {{\n\t\tpanic(err)\n\t}}\n}}\n",
        t = i % 9 + 1,
        port = 8000 + i % 1000,
    )
}

fn dockerfile_block(i: usize) -> String {
    format!(
        "# syntax=docker/dockerfile:1\nFROM golang:1.22-alpine AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nRUN CGO_ENABLED=0 go build -ldflags=\"-s -w -X main.build={i}\" -o /out/app ./cmd/app && \\\n    chmod +x /out/app\n\nFROM alpine:3.{minor}\nRUN apk add --no-cache ca-certificates tzdata \\\n    && adduser -D -u 10{uid:03} app\nENV TZ=Asia/Shanghai PORT={port}\nCOPY --from=build /out/app /usr/local/bin/app\nUSER app\nEXPOSE {port}\nHEALTHCHECK --interval=30s CMD wget -qO- http://localhost:{port}/healthz || exit 1\nENTRYPOINT [\"/usr/local/bin/app\"]\nCMD [\"--config\", \"/etc/app/config.yaml\"]\n",
        minor = 15 + i % 5,
        uid = i % 1000,
        port = 8000 + i % 1000,
    )
}

type Generator = fn(usize) -> String;

/// The corpus: (language, code) blocks, interleaved, about [`TARGET_BYTES`] in total.
fn corpus() -> Vec<(&'static str, String)> {
    let generators: [(&str, Generator); 6] = [
        ("yaml", yaml_block),
        ("bash", bash_block),
        ("console", console_block),
        ("json", json_block),
        ("go", go_block),
        ("dockerfile", dockerfile_block),
    ];
    let mut blocks = Vec::new();
    let mut total = 0;
    let mut i = 0;
    while total < TARGET_BYTES {
        for (lang, generate) in generators {
            let code = generate(i);
            total += code.len();
            blocks.push((lang, code));
        }
        i += 1;
    }
    blocks
}

fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / time.as_secs_f64()
}

fn ms(time: Duration) -> f64 {
    time.as_secs_f64() * 1000.0
}

fn highlight_all(highlighter: &Highlighter, blocks: &[(&str, String)]) -> Duration {
    let start = Instant::now();
    for (lang, code) in blocks {
        black_box(highlighter.highlight(lang, code));
    }
    start.elapsed()
}

fn main() {
    let blocks = corpus();
    let total: usize = blocks.iter().map(|(_, code)| code.len()).sum();

    let start = Instant::now();
    let highlighter = Highlighter::new();
    let load = start.elapsed();
    // The onig dump carries grammars that fancy-regex cannot compile (PowerShell among them).
    let dump = if highlighter.knows("powershell") {
        "onig"
    } else {
        "fancy-regex"
    };

    // Regexes are compiled on first use: the first block of each language pays for its grammar.
    let mut first_blocks = Vec::new();
    for lang in LANGS {
        let (_, code) = blocks
            .iter()
            .find(|(l, _)| *l == lang)
            .expect("corpus has every language");
        let start = Instant::now();
        black_box(highlighter.highlight(lang, code));
        first_blocks.push((lang, start.elapsed()));
    }

    let cold = highlight_all(&highlighter, &blocks);
    let warm = (0..WARM_RUNS)
        .map(|_| highlight_all(&highlighter, &blocks))
        .min()
        .unwrap_or(cold);

    println!("regex backend (by syntax dump): {dump}");
    println!("syntax set load: {:.2} ms", ms(load));
    println!(
        "corpus: {:.2} MB in {} blocks",
        total as f64 / (1024.0 * 1024.0),
        blocks.len()
    );
    let first: Duration = first_blocks.iter().map(|(_, time)| *time).sum();
    println!(
        "first block of each language (grammar warm-up): {:.1} ms",
        ms(first)
    );
    for (lang, time) in &first_blocks {
        println!("  {lang:<10} {:>7.1} ms", ms(*time));
    }
    println!(
        "first full pass: {:.1} ms, {:.2} MB/s",
        ms(cold),
        mb_per_s(total, cold)
    );
    println!(
        "warm, best of {WARM_RUNS}: {:.1} ms, {:.2} MB/s",
        ms(warm),
        mb_per_s(total, warm)
    );

    let html: usize = blocks
        .iter()
        .map(|(lang, code)| highlighter.highlight(lang, code).len())
        .sum();
    println!(
        "html output: {:.2} MB ({:.1} bytes per input byte)",
        html as f64 / (1024.0 * 1024.0),
        html as f64 / total as f64
    );

    for lang in LANGS {
        let subset: Vec<(&str, String)> =
            blocks.iter().filter(|(l, _)| *l == lang).cloned().collect();
        let bytes: usize = subset.iter().map(|(_, code)| code.len()).sum();
        let time = (0..WARM_RUNS)
            .map(|_| highlight_all(&highlighter, &subset))
            .min()
            .unwrap_or_default();
        let html: usize = subset
            .iter()
            .map(|(lang, code)| highlighter.highlight(lang, code).len())
            .sum();
        println!(
            "  {lang:<10} {:>7.2} MB/s, html {:>5.1}x",
            mb_per_s(bytes, time),
            html as f64 / bytes as f64
        );
    }

    // Lines over the module's limit are emitted as plain text; one just under it is highlighted.
    for (label, line) in [
        ("200 KB single line", "QUJDRA==".repeat(25 * 1024)),
        ("15 KB single line", "QUJDRA==".repeat(15 * 128)),
    ] {
        let code = format!("data: {line}\n");
        let start = Instant::now();
        black_box(highlighter.highlight("yaml", &code));
        println!("{label} (yaml): {:.2} ms", ms(start.elapsed()));
    }

    let start = Instant::now();
    let css = highlighter.css();
    println!("css(): {:.2} ms, {} bytes", ms(start.elapsed()), css.len());
}
