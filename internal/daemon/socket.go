package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

// The status protocol is one JSON document: a client connects to the unix
// socket, the daemon writes the Status as JSON followed by a newline and
// closes the connection. Access is controlled by the socket file's mode
// (0660) and group: root, the daemon's own user and members of status.group.

// maxStatusSize bounds what the client reads.
const maxStatusSize = 1 << 20

// StatusServer answers status queries on a unix socket.
type StatusServer struct {
	path     string
	ln       net.Listener
	snapshot func() *Status
	log      *slog.Logger
	wg       sync.WaitGroup
	once     sync.Once
}

// ListenStatus creates the status socket at path with mode 0660, owned by
// group when one is named (else by the daemon's group), and starts answering
// with snapshot(). A leftover socket of a dead daemon is replaced; one that
// still answers is an error (another dualpath is running).
func ListenStatus(path, group string, snapshot func() *Status, log *slog.Logger) (*StatusServer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	gid := -1
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("status.group %q: %v: create it with groupadd %s", group, err, group)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("status socket directory: %v", err)
	}
	if _, err := os.Lstat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("another dualpath is running (its status socket %s answers): stop it first (systemctl stop dualpath)", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale status socket: %v", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("status socket: %v", err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("status socket mode: %v", err)
	}
	if gid >= 0 {
		if err := os.Chown(path, -1, gid); err != nil {
			ln.Close()
			return nil, fmt.Errorf("status socket group %s: %v (the daemon's user must be a member of it)", group, err)
		}
	}
	s := &StatusServer{path: path, ln: ln, snapshot: snapshot, log: log}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Path is the socket's file name.
func (s *StatusServer) Path() string { return s.path }

func (s *StatusServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			msg.LogWarn(s.log, msg.T("status socket accept failed", "状態ソケットで接続を受け付けられませんでした"), "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			b, err := json.Marshal(s.snapshot())
			if err != nil {
				msg.LogError(s.log, msg.T("status encoding failed", "状態を書き出せませんでした"), "err", err)
				return
			}
			_, _ = c.Write(append(b, '\n'))
		}()
	}
}

// Close stops answering and removes the socket file.
func (s *StatusServer) Close() error {
	var err error
	s.once.Do(func() {
		err = s.ln.Close()
		s.wg.Wait()
	})
	return err
}

// NotRunningError says no daemon answers on the status socket.
type NotRunningError struct{ Path string }

func (e *NotRunningError) Error() string { return e.text().EN }

// In is the error in lang.
func (e *NotRunningError) In(lang msg.Lang) string { return e.text().In(lang) }

func (e *NotRunningError) text() msg.Text {
	return msg.T("dualpath is not running (no socket at %s): start it with systemctl start dualpath",
		"dualpath は動いていません（%s にソケットがありません）。「systemctl start dualpath」で起動してください", e.Path)
}

// QueryStatus asks the daemon listening on the socket at path for its
// status. When no daemon runs the error is a *NotRunningError.
func QueryStatus(ctx context.Context, path string) (*Status, error) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
			return nil, &NotRunningError{Path: path}
		case errors.Is(err, fs.ErrPermission):
			return nil, msg.Err(msg.T("cannot read the status socket %s: permission denied: run as root or as a member of the group set in status.group",
				"状態ソケット %s を読めません（権限がありません）。root か、status.group のグループのメンバーとして実行してください", path))
		}
		return nil, msg.Err(msg.T("status socket %s: %v", "状態ソケット %s: %v", path, err))
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	b, err := io.ReadAll(io.LimitReader(c, maxStatusSize))
	if err != nil {
		return nil, msg.Err(msg.T("reading status from %s: %v", "%s から状態を読めません: %v", path, err))
	}
	s, err := DecodeStatus(b)
	if err != nil {
		return nil, msg.Err(msg.T("the daemon at %s sent a status this version cannot read (%v): are both the same version?",
			"%s のデーモンが送った状態をこの版では読めません（%v）。両方が同じ版か確認してください", path, err))
	}
	return s, nil
}

// DecodeStatus decodes a status document as sent on the socket. Unknown
// fields are ignored, so an older client can read a newer daemon.
func DecodeStatus(b []byte) (*Status, error) {
	var s Status
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}
