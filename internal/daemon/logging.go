package daemon

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/dualpath/dualpath/internal/msg"
)

// NewLogger returns the daemon's logger writing to w: text (default) or JSON
// lines, at level debug, info (default), warn or error. Under systemd
// (journal is true when $JOURNAL_STREAM is set) no timestamps are written,
// since journald adds its own. Text lines are for people: their messages
// are in lang (msg.LogHandler), keys and machine values in English as
// always. JSON lines are for programs and stay English.
func NewLogger(w io.Writer, format, level string, journal bool, lang msg.Lang) (*slog.Logger, error) {
	var lv slog.Level
	switch level {
	case "", "info":
		lv = slog.LevelInfo
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("log.level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if journal {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	switch format {
	case "", "text":
		return slog.New(msg.LogHandler(slog.NewTextHandler(w, opts), lang)), nil
	case "json":
		return slog.New(msg.LogHandler(slog.NewJSONHandler(w, opts), msg.English)), nil
	}
	return nil, fmt.Errorf("log.format %q: use text or json", format)
}
