package lab

import (
	"github.com/dualpath/dualpath/internal/msg"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options configure a lab.
type Options struct {
	Prefix    string // namespace prefix, default DefaultPrefix
	StateRoot string // default DefaultStateRoot
	Scenario  string // default ScenarioServerPPPoE
	// Bin is the dualpath binary run inside the namespaces (node processes);
	// default: the running executable.
	Bin string
	// Log receives progress lines (nil: discarded).
	Log io.Writer
	// Lang is the language of the progress lines (msg.FromEnv).
	Lang msg.Lang
}

// Lab is one lab, identified by its prefix.
type Lab struct {
	Prefix   string
	Dir      string // state dir: state.json, configs, logs
	Scenario string
	bin      string
	log      io.Writer
	lang     msg.Lang // of the progress lines
	st       *State
}

// New returns the lab for opt; it does not touch the system.
func New(opt Options) (*Lab, error) {
	if opt.Prefix == "" {
		opt.Prefix = DefaultPrefix
	}
	if err := CheckPrefix(opt.Prefix); err != nil {
		return nil, err
	}
	if opt.StateRoot == "" {
		opt.StateRoot = DefaultStateRoot
	}
	if opt.Scenario == "" {
		opt.Scenario = ScenarioServerPPPoE
	}
	if !ValidScenario(opt.Scenario) {
		return nil, fmt.Errorf("unknown scenario %q: use %s, %s or %s", opt.Scenario, ScenarioServerPPPoE, ScenarioTwoRouters, ScenarioIPIPFixed)
	}
	if opt.Bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("cannot find the dualpath binary: %v", err)
		}
		opt.Bin = exe
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	return &Lab{
		Prefix:   opt.Prefix,
		Dir:      filepath.Join(opt.StateRoot, strings.TrimSuffix(opt.Prefix, "-")),
		Scenario: opt.Scenario,
		bin:      opt.Bin,
		log:      opt.Log,
		lang:     opt.Lang,
	}, nil
}

// RequireRoot returns a one-line error when the lab cannot run here.
func RequireRoot() error {
	if os.Geteuid() != 0 {
		return msg.Errorf("the lab needs root (it creates network namespaces): run it with sudo", "ラボには root 権限が必要です（ネットワーク名前空間を作ります）。sudo で実行してください")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return msg.Errorf("the lab needs iproute2 ('ip'): run scripts/deps.sh", "ラボには iproute2（ip コマンド）が必要です。scripts/deps.sh を実行してください")
	}
	return nil
}

// NS returns the namespace name of node.
func (l *Lab) NS(node string) string { return l.Prefix + node }

// progress writes one progress line in the lab's language, fitted to Width
// columns.
func (l *Lab) progress(t msg.Text) {
	msg.Printer{W: l.log, Lang: l.lang}.Println(t)
}

// run runs a program in the host namespace (only `ip netns add/del` and
// `ip -n NS ...`, which act inside the lab's namespaces).
func run(name string, args ...string) (string, error) {
	var buf bytes.Buffer
	c := exec.Command(name, args...)
	c.Stdout, c.Stderr = &buf, &buf
	if err := c.Run(); err != nil {
		return buf.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(buf.String()))
	}
	return buf.String(), nil
}

// ipn runs `ip -n NS args...`.
func (l *Lab) ipn(node string, args ...string) error {
	_, err := run("ip", append([]string{"-n", l.NS(node)}, args...)...)
	return err
}

// In runs a program inside node's namespace and returns its combined output.
func (l *Lab) In(node, name string, args ...string) (string, error) {
	return run("ip", append([]string{"netns", "exec", l.NS(node), name}, args...)...)
}

// InCtx is In with a context (the program is killed when ctx ends).
func (l *Lab) InCtx(ctx context.Context, node, name string, args ...string) (string, error) {
	var buf bytes.Buffer
	c := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.NS(node), name}, args...)...)
	c.Stdout, c.Stderr = &buf, &buf
	err := c.Run()
	if err != nil {
		err = fmt.Errorf("[%s] %s %s: %v: %s", node, name, strings.Join(args, " "), err, strings.TrimSpace(buf.String()))
	}
	return buf.String(), err
}

// Node runs `dualpath lab-node args...` inside node's namespace.
func (l *Lab) Node(ctx context.Context, node string, args ...string) (string, error) {
	return l.InCtx(ctx, node, l.bin, append([]string{"lab-node"}, args...)...)
}

// start starts a background process inside node's namespace, in its own
// session, with output to a log file in the state dir, and records it.
func (l *Lab) start(node, name, prog string, args ...string) (*Proc, error) {
	logPath := filepath.Join(l.Dir, "log", node+"-"+name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := exec.Command("ip", append([]string{"netns", "exec", l.NS(node), prog}, args...)...)
	c.Stdout, c.Stderr = f, f
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("[%s] start %s: %v", node, name, err)
	}
	p := Proc{Node: node, Name: name, PID: c.Process.Pid, Log: logPath, Prog: prog}
	// Reap it if it dies while we still run; after we exit, init does.
	go func() { _ = c.Wait() }()
	l.st.Procs = append(l.st.Procs, p)
	if err := l.st.Save(); err != nil {
		return nil, err
	}
	return &l.st.Procs[len(l.st.Procs)-1], nil
}

// startNode starts `dualpath lab-node args...` in the background.
func (l *Lab) startNode(node, name string, args ...string) (*Proc, error) {
	return l.start(node, name, l.bin, append([]string{"lab-node"}, args...)...)
}

// alive reports whether the process still runs.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	// A zombie is not alive.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(b, ')'); i > 0 && i+2 < len(b) {
		return b[i+2] != 'Z'
	}
	return true
}

// reaped reports whether the process is wholly gone: every thread has
// exited and its parent collected it, so the files it held are closed (a
// zombie leader whose other threads still exit is not alive, but not gone).
func reaped(pid int) bool {
	return pid > 0 && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// ours reports whether the recorded process still runs and is still the
// program the lab started (not a stranger that got its PID later).
func (p Proc) ours() bool {
	if !alive(p.PID) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/cmdline")
	if err != nil {
		return false
	}
	argv0, _, _ := bytes.Cut(b, []byte{0})
	// Started as `ip netns exec NS PROG ...`, which execs PROG. Some
	// programs rewrite their argv ("nginx: master process ..."): compare
	// the first word's base name.
	first, _, _ := strings.Cut(string(argv0), " ")
	return p.Prog == "" || strings.HasPrefix(filepath.Base(first), filepath.Base(p.Prog))
}

// nsExists reports whether the namespace exists.
func nsExists(ns string) bool {
	_, err := os.Stat(filepath.Join("/run/netns", ns))
	return err == nil
}

// nsPids returns the processes inside a namespace.
func nsPids(ns string) []int {
	out, _ := exec.Command("ip", "netns", "pids", ns).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if p, err := strconv.Atoi(f); err == nil && p > 1 && p != os.Getpid() {
			pids = append(pids, p)
		}
	}
	return pids
}

// Down removes everything the lab made: its processes (asked to stop, then
// killed), its namespaces (with their links) and its state dir. It is safe
// to run twice and after a crash, since it looks at what exists, not only at
// what the state file says.
func (l *Lab) Down() error {
	var nss []string
	for _, n := range AllNodes {
		if nsExists(l.NS(n)) {
			nss = append(nss, l.NS(n))
		}
	}
	var pids []int
	if st, err := LoadState(l.Dir); err == nil {
		for _, p := range st.Procs {
			if p.ours() {
				pids = append(pids, p.PID)
			}
		}
	}
	for _, ns := range nss {
		pids = append(pids, nsPids(ns)...)
	}
	// Gentle first: dualpath sends PADT and undoes its host changes on SIGTERM.
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		left := 0
		for _, p := range pids {
			if alive(p) {
				left++
			}
		}
		if left == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range pids {
		if alive(p) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
	var errs []error
	for _, ns := range nss {
		for i := 0; i < 40; i++ {
			left := nsPids(ns)
			if len(left) == 0 {
				break
			}
			for _, p := range left {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := run("ip", "netns", "del", ns); err != nil && nsExists(ns) {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(l.Dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Leftovers lists what of the lab still exists (namespaces, processes,
// state dir); empty after Down.
func (l *Lab) Leftovers() []string {
	var left []string
	for _, n := range AllNodes {
		if nsExists(l.NS(n)) {
			left = append(left, "namespace "+l.NS(n))
		}
	}
	if st, err := LoadState(l.Dir); err == nil {
		for _, p := range st.Procs {
			if p.ours() {
				left = append(left, fmt.Sprintf("process %s/%s pid %d", p.Node, p.Name, p.PID))
			}
		}
	}
	if _, err := os.Stat(l.Dir); err == nil {
		left = append(left, "state dir "+l.Dir)
	}
	return left
}

// Load reads the running lab's state (ErrNoLab when none).
func (l *Lab) Load() (*State, error) {
	st, err := LoadState(l.Dir)
	if err != nil {
		return nil, err
	}
	l.st = st
	l.Scenario = st.Scenario
	return st, nil
}

// Exec runs argv inside node's namespace with the given stdio and returns
// its exit code.
func (l *Lab) Exec(ctx context.Context, node string, argv []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if !nsExists(l.NS(node)) {
		return 0, fmt.Errorf("no node %q in the lab %s: run 'dualpath lab status' for the list", node, l.Prefix)
	}
	args := append([]string{"netns", "exec", l.NS(node)}, argv...)
	if conf := l.resolvConf(node); conf != "" {
		// `ip netns exec` gives the command its own mount namespace: bind
		// the node's resolver over /etc/resolv.conf there (the machine's
		// own file is untouched), so names of the lab zone resolve.
		args = append([]string{"netns", "exec", l.NS(node), "sh", "-c",
			`mount --bind "$0" /etc/resolv.conf 2>/dev/null; exec "$@"`, conf}, argv...)
	}
	c := exec.CommandContext(ctx, "ip", args...)
	c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
	c.Env = l.execEnv(node)
	err := c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, err
	}
	return 0, nil
}

// execEnv is the environment of `lab exec`: this dualpath binary first on
// PATH, so that `dualpath lab exec server -- dualpath status` runs the same
// program the lab runs, and on the server the lab daemon's status socket.
func (l *Lab) execEnv(node string) []string {
	env := os.Environ()
	if l.bin != "" {
		env = append(env, "PATH="+filepath.Dir(l.bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	if node == NodeServer {
		env = append(env, "DUALPATH_STATUS_SOCKET="+filepath.Join(l.Dir, "server-status.sock"))
	}
	return env
}

// resolvConf writes (once) and returns the resolver file of node: the
// ISP's DNS for the ISP and the visitors, the router's dnsmasq for the LAN.
func (l *Lab) resolvConf(node string) string {
	var ns string
	switch node {
	case NodeISP, NodeInet4:
		ns = DNS4.String()
	case NodeInet6, NodeRouter, NodeRouter2:
		ns = DNS6.String()
	case NodePC, NodeServer:
		ns = RouterLAN4.String()
	default:
		return ""
	}
	if _, err := os.Stat("/etc/resolv.conf"); err != nil || lookPathErr("mount") != nil {
		return ""
	}
	p := filepath.Join(l.Dir, "resolv-"+node+".conf")
	if err := os.WriteFile(p, []byte("# dualpath lab: "+node+"\nnameserver "+ns+"\n"), 0o644); err != nil {
		return ""
	}
	return p
}

func lookPathErr(name string) error { _, err := exec.LookPath(name); return err }

// waitFor polls cond every 50 ms until it holds or d passes.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}
