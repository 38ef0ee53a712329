package msg

import (
	"context"
	"log/slog"
)

// A daemon's log lines for people (the session is up, a record was
// published, a warning, why it stopped) are messages like any other: written
// in both languages at the call site and logged with LogInfo, LogWarn or
// LogError, they come out in the language of the logger's handler
// (LogHandler). What a parser reads stays as it is in every language: the
// level, the attribute keys and machine values (addresses, ports, codes,
// durations). Attribute values that are sentences (a Text, an error) are
// said in the handler's language too. Debug traces for developers stay
// English: log them with slog directly.

// LogHandler is h logging in lang: messages logged through LogInfo,
// LogWarn, LogError and Log, and attribute values that speak both
// languages (a Text, an error: ErrorText), come out in lang.
func LogHandler(h slog.Handler, lang Lang) slog.Handler { return langHandler{h, lang} }

type langHandler struct {
	inner slog.Handler
	lang  Lang
}

func (h langHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h langHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = h.attr(a)
	}
	return langHandler{h.inner.WithAttrs(out), h.lang}
}

func (h langHandler) WithGroup(name string) slog.Handler {
	return langHandler{h.inner.WithGroup(name), h.lang}
}

func (h langHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.NumAttrs() == 0 {
		return h.inner.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

// attr says a value that speaks both languages in h's language.
func (h langHandler) attr(a slog.Attr) slog.Attr {
	switch v := a.Value.Any().(type) {
	case Text:
		return slog.String(a.Key, v.In(h.lang))
	case error:
		if h.lang == English {
			return a
		}
		return slog.String(a.Key, ErrorText(v).In(h.lang))
	}
	if a.Value.Kind() == slog.KindGroup {
		g := a.Value.Group()
		out := make([]any, len(g))
		for i, x := range g {
			out[i] = h.attr(x)
		}
		return slog.Group(a.Key, out...)
	}
	return a
}

// LangOf is the language l logs in: its handler's (LogHandler), English
// for any other handler or a nil l.
func LangOf(l *slog.Logger) Lang {
	if l == nil {
		return English
	}
	if h, ok := l.Handler().(langHandler); ok {
		return h.lang
	}
	return English
}

// Log logs t at level in l's language (LangOf) with attributes args (keys
// and values as slog takes them).
func Log(ctx context.Context, l *slog.Logger, level slog.Level, t Text, args ...any) {
	if !l.Enabled(ctx, level) {
		return
	}
	l.Log(ctx, level, t.In(LangOf(l)), args...)
}

// LogInfo logs t at level info (see Log).
func LogInfo(l *slog.Logger, t Text, args ...any) {
	Log(context.Background(), l, slog.LevelInfo, t, args...)
}

// LogWarn logs t at level warn (see Log).
func LogWarn(l *slog.Logger, t Text, args ...any) {
	Log(context.Background(), l, slog.LevelWarn, t, args...)
}

// LogError logs t at level error (see Log).
func LogError(l *slog.Logger, t Text, args ...any) {
	Log(context.Background(), l, slog.LevelError, t, args...)
}

// LogValue is the English text, for loggers that do not speak both
// languages (a handler without LogHandler).
func (t Text) LogValue() slog.Value { return slog.StringValue(t.EN) }
