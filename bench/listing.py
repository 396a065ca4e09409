#!/usr/bin/env python3
"""Status and listing with many backups: what an administrator waits for.

With N backups (default 300) made by this installation, times `lifeboat status`,
`lifeboat backups list` and a small `lifeboat backup now` (which includes the
retention sweep) on a local folder and on an SMB share (Samba on loopback, the test
suite's server), and restic's `snapshots` over N snapshots of the same small folder
for comparison. Each command is a whole process, as a user or a script runs it;
medians of repeated runs. The first listing of the share is also timed "cold": the
catalog has not seen those files yet, so each header is read once.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

def run(cmd, env, stdin=""):
    start = time.monotonic()
    proc = subprocess.run(cmd, input=stdin.encode(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')}")
    return wall, proc.stdout.decode()

def median_of(cmd, env, times, stdin=""):
    return statistics.median(run(cmd, env, stdin)[0] for _ in range(times))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lifeboat", required=True)
    ap.add_argument("--samba-server", required=True)
    ap.add_argument("--backups", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    lb = os.path.abspath(args.lifeboat)
    work = tempfile.mkdtemp(prefix="lifeboat-listing-")
    env = dict(os.environ, LIFEBOAT_DATA_DIR=f"{work}/data", RESTIC_PASSWORD="bench-password", RESTIC_REPOSITORY=f"{work}/restic")
    small = f"{work}/small"
    os.makedirs(small)
    for i in range(5):
        with open(f"{small}/file-{i}.conf", "w") as f:
            f.write(f"setting = {i}\n" * 40)
    lbc = lambda *a: [lb, *a]
    run(lbc("encryption", "set-passphrase", "--passphrase-stdin"), env, "bench passphrase")
    run(lbc("items", "add", small), env)
    run(lbc("retention", "set", "--days", "14", "--max-count", "1000"), env)
    local = f"{work}/data/backups"
    started = time.monotonic()
    for _ in range(args.backups):
        run(lbc("backup", "now"), env)
    made = time.monotonic() - started
    count = len(json.loads(run(lbc("--json", "backups", "list"), env)[1]))
    assert count == args.backups, count

    results = []
    def note(what, seconds):
        results.append((what, seconds))
        print(f"{what:<58} {seconds * 1000:8.0f} ms", flush=True)

    print(f"{args.backups} backups made locally in {made:.0f} s ({made / args.backups * 1000:.0f} ms each)")
    note(f"local folder, {count} backups: lifeboat status", median_of(lbc("status"), env, args.repeat))
    note(f"local folder, {count} backups: lifeboat backups list", median_of(lbc("backups", "list"), env, args.repeat))

    if shutil.which("restic"):
        run(["restic", "init"], env)
        for _ in range(args.backups):
            run(["restic", "backup", "--quiet", small], env)
        note(f"restic, {args.backups} snapshots: restic snapshots", median_of(["restic", "snapshots"], env, args.repeat))

    samba = subprocess.Popen([os.path.abspath(args.samba_server)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        server = json.loads(samba.stdout.readline())
        folder = os.path.join(server["share_dir"], "lifeboat")
        shutil.copytree(local, folder)
        subprocess.run(["chown", "-R", f"{server['user']}:", folder], check=True)
        run(lbc("location", "set-smb", server["unc"] + "\\lifeboat", "--user", server["user"], "--password-stdin"), env, server["password"])
        note(f"SMB share, {count} backups: lifeboat status", median_of(lbc("status"), env, args.repeat))
        note(f"SMB share, {count} backups: lifeboat backups list (cold: headers read)", run(lbc("backups", "list"), env)[0])
        note(f"SMB share, {count} backups: lifeboat backups list", median_of(lbc("backups", "list"), env, args.repeat))
        note(f"SMB share, {count} backups: lifeboat backup now (small)", median_of(lbc("backup", "now"), env, args.repeat))
        listed = len(json.loads(run(lbc("--json", "backups", "list"), env)[1]))
        note(f"SMB share, {listed} backups: lifeboat status", median_of(lbc("status"), env, args.repeat))
    finally:
        samba.stdin.close()
        samba.wait()
    shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    main()
