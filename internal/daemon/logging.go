package daemon

import (
	"fmt"
	"io"
	"log/slog"
)

// NewLogger returns the daemon's logger writing to w: text (default) or JSON
// lines, at level debug, info (default), warn or error. Under systemd
// (journal is true when $JOURNAL_STREAM is set) no timestamps are written,
// since journald adds its own.
func NewLogger(w io.Writer, format, level string, journal bool) (*slog.Logger, error) {
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
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log.format %q: use text or json", format)
}
