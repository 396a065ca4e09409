#!/usr/bin/env python3
"""Interleaved benchmark of Lifeboat, restic and `tar | zstd -3 -T0 | age`.

Each round runs every tool once (Lifeboat, restic, pipeline, in that order), timing a
full backup to a local folder and a full restore into an empty folder (and Lifeboat's
verify), with wall time, CPU time and peak RSS from wait4(). Every restore is checked
against a SHA-256 manifest of the source. Medians and per-round ratios are printed and
written to bench/results/latest.md.
"""
import argparse, datetime, os, platform, re, shutil, statistics, subprocess, sys, time

def run(cmd, stdin_text=None, env=None):
    """Runs a shell command; returns (wall s, cpu s, peak rss MiB)."""
    start = time.monotonic()
    proc = subprocess.Popen(["bash", "-o", "pipefail", "-c", cmd], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    proc.stdin.write((stdin_text or "").encode()); proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"command failed: {cmd}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024

def sh(cmd, **kw):
    return subprocess.run(["bash", "-o", "pipefail", "-c", cmd], check=True, capture_output=True, text=True, **kw).stdout

def manifest(script, root):
    return sh(f"python3 {script} manifest --root {root}")

def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)

class Lifeboat:
    name = "lifeboat"
    def __init__(self, exe, work):
        self.exe, self.work, self.pw = os.path.abspath(exe), work, "bench-password"
        self.data = f"{work}/lifeboat-data"
        if not os.path.exists(f"{work}/lb.pfx"):
            sh(f"{self.exe} cert create --subject bench --pfx-out {work}/lb.pfx --cer-out {work}/lb.cer", input=self.pw)
    def lb(self, args):
        return f"{self.exe} --data-dir {self.data} {args}"
    def setup(self, source):
        fresh(self.data)
        sh(f"{self.exe} --data-dir {self.data} encryption set-certificate {self.work}/lb.cer")
        sh(self.lb(f"items add {source} --name data"))
    def backup(self, source):
        shutil.rmtree(f"{self.data}/backups", ignore_errors=True)
        m = run(self.lb("backup now"))
        self.id = sh(self.lb("--json backups list") + " | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1][\"id\"])'").strip()
        return m
    def size(self):
        return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(f"{self.data}/backups") for f in fs)
    def restore(self, target):
        m = run(self.lb(f"restore {self.id} --identity {self.work}/lb.pfx --password-stdin --to {target}"), self.pw)
        return m, f"{target}/data"
    def verify(self):
        return run(self.lb(f"verify {self.id} --identity {self.work}/lb.pfx --password-stdin"), self.pw)
    def stored(self):
        return [f"{self.data}/backups"]

class Restic:
    name = "restic"
    def __init__(self, work):
        self.repo = f"{work}/restic-repo"
        self.env = dict(os.environ, RESTIC_PASSWORD="bench-password", RESTIC_REPOSITORY=self.repo, RESTIC_CACHE_DIR=f"{work}/restic-cache")
    def setup(self, source):
        pass
    def backup(self, source):
        shutil.rmtree(self.repo, ignore_errors=True); shutil.rmtree(self.env["RESTIC_CACHE_DIR"], ignore_errors=True)
        sh("restic init -q", env=self.env)
        parent, base = os.path.split(source)
        return run(f"cd {parent} && restic backup -q {base}", env=self.env)
    def size(self):
        return int(sh(f"du -sb {self.repo}").split()[0])
    def restore(self, target):
        return run(f"restic restore -q latest --target {target}", env=self.env), f"{target}/data"
    def stored(self):
        return [self.repo, self.env["RESTIC_CACHE_DIR"]]

class Pipeline:
    name = "pipeline"
    def __init__(self, work):
        self.work, self.file = work, f"{work}/pipeline.tar.zst.age"
        sh(f"rm -f {work}/age.key && age-keygen -o {work}/age.key")
        self.recipient = sh(f"age-keygen -y {work}/age.key").strip()
    def setup(self, source):
        pass
    def backup(self, source):
        parent, base = os.path.split(source)
        return run(f"tar -cf - -C {parent} {base} | zstd -3 -T0 -q | age -r {self.recipient} > {self.file}")
    def size(self):
        return os.path.getsize(self.file)
    def restore(self, target):
        return run(f"age -d -i {self.work}/age.key {self.file} | zstd -d -q | tar -xf - -C {target}"), f"{target}/data"
    def stored(self):
        return [self.file]

def median(xs):
    return statistics.median(xs) if xs else float("nan")

def settle(stored):
    """Every backup and restore starts from the same memory state: written data
    flushed, the page cache dropped (when this runs as root) and what the tool reads
    (the data set, or its stored backup) read back in.
    Without it the restored trees of earlier rounds fill the page cache, and later
    rounds spend most of their time in the kernel touching memory this VM had not
    used yet (docs/performance.md, "Restore across data shapes")."""
    sh("sync")
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        pass
    for path in filter(os.path.exists, stored):
        sh(f"find {path} -type f -exec cat {{}} + > /dev/null")

def measure(tools, source, work, rounds, script, log):
    """Interleaved rounds. Every restore goes into a new folder, and the restored trees
    are deleted only after the last round: on ext4, creating files right after deleting
    tens of thousands costs several times more (its inode allocator skips recently
    freed inodes), which would charge one tool for another's clean-up."""
    expected = manifest(script, source)
    results = {t.name: {"backup": [], "restore": [], "verify": [], "size": 0} for t in tools}
    for t in tools:
        t.setup(source)
    targets = f"{work}/restored"
    fresh(targets)
    for r in range(1, rounds + 1):
        for t in tools:
            settle([source])
            b = t.backup(source)
            results[t.name]["backup"].append(b)
            results[t.name]["size"] = t.size()
            target = f"{targets}/{t.name}-{r}"
            os.makedirs(target)
            settle(t.stored())
            res, restored = t.restore(target)
            results[t.name]["restore"].append(res)
            if manifest(script, restored) != expected:
                sys.exit(f"{t.name}: restored tree differs from the source")
            if hasattr(t, "verify"):
                results[t.name]["verify"].append(t.verify())
            log(f"  round {r} {t.name:9} backup {b[0]:6.2f} s  restore {res[0]:6.2f} s")
    shutil.rmtree(targets)
    sh("sync")
    return results

def table(results, rounds):
    lines = ["| tool | backup wall s | backup CPU s | backup peak MiB | restore wall s | restore CPU s | restore peak MiB | size MiB |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        b, s = r["backup"], r["restore"]
        lines.append(f"| {name} | {median([x[0] for x in b]):.2f} | {median([x[1] for x in b]):.2f} | {max(x[2] for x in b):.0f} | "
                     f"{median([x[0] for x in s]):.2f} | {median([x[1] for x in s]):.2f} | {max(x[2] for x in s):.0f} | {r['size']/2**20:.0f} |")
    v = results["lifeboat"]["verify"]
    if v:
        lines.append(f"\nLifeboat verify: {median([x[0] for x in v]):.2f} s wall, {median([x[1] for x in v]):.2f} s CPU, {max(x[2] for x in v):.0f} MiB peak.")
    lb = results["lifeboat"]
    for peer in [n for n in results if n != "lifeboat"]:
        p = results[peer]
        for op in ["backup", "restore"]:
            ratios = [a[0] / b[0] for a, b in zip(lb[op], p[op])]
            lines.append(f"- {op} Lifeboat/{peer}: median ratio {median(ratios):.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
        lines.append(f"- size Lifeboat/{peer}: {lb['size']/p['size']:.3f}")
    return "\n".join(lines)

def small_files_tree(root, count):
    import random
    rnd = random.Random(1)
    for i in range(count):
        d = f"{root}/d{i // 1000:03d}"
        if i % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        with open(f"{d}/f{i:06d}.conf", "w") as f:
            f.write("".join(f"key{j} = {rnd.randrange(10**6)}\n" for j in range(rnd.randrange(5, 120))))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lifeboat", required=True)
    ap.add_argument("--dataset-script", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--seed", type=int, help="the data set's seed (the generator's default otherwise)")
    ap.add_argument("--scale", help="the data set's scale (default 1; 0.01 with --smoke)")
    ap.add_argument("--work", default=os.environ.get("LIFEBOAT_BENCH_DIR", "target/bench"))
    a = ap.parse_args()
    script = os.path.abspath(a.dataset_script)
    if not os.path.exists(script):
        sys.exit(f"{script} is missing: it lives in shared/bench beside the repository")
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    rounds = a.rounds or (1 if a.smoke else 3 if a.quick else 5)
    out = []
    os.makedirs("bench/results", exist_ok=True)
    result_file = "bench/results/smoke.md" if a.smoke else "bench/results/latest.md"
    def log(line=""):
        print(line, flush=True); out.append(line)
        with open(result_file, "w") as f:
            f.write("\n".join(out) + "\n")

    versions = {
        "lifeboat": sh(f"{a.lifeboat} --version").strip(),
        "restic": sh("restic version").strip(),
        "age": "age " + sh("age --version").strip(),
        "zstd": sh("zstd --version").strip(),
        "tar": sh("tar --version | head -1").strip(),
    }
    cpu = sh("grep -m1 'model name' /proc/cpuinfo").split(":", 1)[-1].strip()
    log(f"# Lifeboat benchmark, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC\n")
    log(f"Machine: {os.cpu_count()} cores ({cpu}), {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, {platform.platform()}")
    log("Versions: " + "; ".join(versions.values()))
    log("Lifeboat: certificate encryption (RSA-3072), default compression (zstd 3), fsync on publish. "
        "restic: password repository, default compression. Pipeline: tar | zstd -3 -T0 | age -r (no fsync). Warm cache: before each backup and restore the page cache is dropped and what the tool reads (the data set, its backup) read back in.\n")

    scale = a.scale or ("0.01" if a.smoke else "1")
    seed = f" --seed {a.seed}" if a.seed is not None else ""
    source = f"{work}/scale-{scale}{'-seed-' + str(a.seed) if a.seed is not None else ''}/data"
    if not os.path.exists(source):
        fresh(os.path.dirname(source))
        log(f"Generating the data set (scale {scale}{seed})...")
        sh(f"python3 {script} create --root {source} --scale {scale}{seed}")
    tools = [Lifeboat(a.lifeboat, work), Restic(work), Pipeline(work)]
    log(f"## Scale {scale}{', seed ' + str(a.seed) if a.seed is not None else ''}: {rounds} interleaved round(s)\n")
    log(table(measure(tools, source, work, rounds, script, log), rounds))

    if not (a.smoke or a.quick):
        log("\n## Scaling (Lifeboat, median of 3)\n")
        log("| data | files | backup wall s | backup peak MiB | restore wall s | restore peak MiB |")
        log("|---|---|---|---|---|---|")
        trees = [("0.1", None), ("1", None), ("4", None), ("small files", 200_000)]
        for label, small in trees:
            src = f"{work}/scale-{label.replace(' ', '-')}/data"
            if not os.path.exists(src):
                fresh(os.path.dirname(src))
                if small:
                    small_files_tree(src, small)
                else:
                    sh(f"python3 {script} create --root {src} --scale {label}")
            lb = Lifeboat(a.lifeboat, work)
            r = measure([lb], src, work, 3, script, lambda line: print(line, flush=True))["lifeboat"]
            files = int(sh(f"find {src} -type f | wc -l"))
            size = int(sh(f"du -sb {src}").split()[0])
            log(f"| {label} ({size/2**20:.0f} MiB) | {files} | {median([x[0] for x in r['backup']]):.2f} | {max(x[2] for x in r['backup']):.0f} | "
                f"{median([x[0] for x in r['restore']]):.2f} | {max(x[2] for x in r['restore']):.0f} |")

    if not a.smoke:
        log("\n## The block pipeline alone (one core, 1 MiB blocks)\n")
        crit = sh("cargo bench -q -p lifeboat-core --bench pipeline -- --warm-up-time 1 --measurement-time 3 2>/dev/null")
        name = None
        for line in crit.splitlines():
            words = line.split()
            if words and words[0].startswith("block/"):
                name = words[0]
            if "thrpt:" in line and name:
                log(f"- Lifeboat {name}: {' '.join(line.split('[')[1].split()[2:4])}")
                name = None  # the next thrpt line is the change since the last run
        aes = sh("openssl speed -evp aes-256-gcm -seconds 1 2>/dev/null | tail -1")
        log(f"- openssl speed -evp aes-256-gcm (bytes/s in thousands, 16 B .. 16 KiB blocks): {' '.join(aes.split()[1:])}")
        sample = f"{work}/zstd-sample.txt"
        texts = [os.path.join(d, f) for d, _, fs in os.walk(source) for f in fs if f.endswith((".log", ".json"))][:400]
        with open(sample, "wb") as out_file:
            for path in texts:
                with open(path, "rb") as f:
                    out_file.write(f.read())
        # zstd prints its benchmark to stdout or stderr (depending on the terminal),
        # redrawing one line with carriage returns: take the last complete result.
        zb = subprocess.run(["zstd", "-b3", "-T1", sample], capture_output=True, text=True)
        results = re.findall(r"\(x([\d.]+)\),\s+([\d.]+) MB/s,\s+([\d.]+) MB/s", zb.stdout + zb.stderr)
        if results:
            ratio, compress, decompress = results[-1]
            log(f"- zstd -b3 -T1 on the data set's text files: ratio {ratio}, compress {compress} MB/s, decompress {decompress} MB/s")
        else:
            log("- zstd -b3 -T1: no result parsed from its output")

    print(f"\nWritten to {result_file}")

if __name__ == "__main__":
    main()
