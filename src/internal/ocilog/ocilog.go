// Package ocilog writes lager logs in the line format gdn reads from OCI
// runtimes: one JSON object per line with "level" and "msg" (gdn's
// logging.ForwardRuncLogsToLager), so that gdn forwards winc's lines into
// its own log and reports the last error line's "msg" as the reason an
// operation failed. Plain text is offered for people reading by hand.
package ocilog

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// Format is a log line format.
type Format string

// The formats winc's --log-format accepts.
const (
	JSON Format = "json"
	Text Format = "text"
)

// ParseFormat accepts json or text.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case JSON, Text:
		return Format(s), nil
	}
	return "", fmt.Errorf("log format %q is not supported: use json or text", s)
}

// Sink is a lager sink writing lines at or above a level.
type Sink struct {
	mu     sync.Mutex
	w      io.Writer
	format Format
	min    lager.LogLevel
}

// NewSink writes to w lines at or above min.
func NewSink(w io.Writer, format Format, min lager.LogLevel) *Sink {
	return &Sink{w: w, format: format, min: min}
}

var levels = map[lager.LogLevel]string{
	lager.DEBUG: "debug",
	lager.INFO:  "info",
	lager.ERROR: "error",
	lager.FATAL: "fatal",
}

// Log writes one line. The message of an error line is the error itself:
// that text is what gdn shows as the cause of a failed operation.
func (s *Sink) Log(l lager.LogFormat) {
	if l.LogLevel < s.min {
		return
	}
	msg := l.Message
	fields := map[string]any{}
	for k, v := range l.Data {
		fields[k] = v
	}
	if errText, ok := fields["error"].(string); ok && l.LogLevel >= lager.ERROR && errText != "" {
		msg = errText
		fields["source"] = l.Message
		delete(fields, "error")
	}
	now := time.Now()
	var line []byte
	switch s.format {
	case Text:
		line = textLine(now, levels[l.LogLevel], msg, fields)
	default:
		fields["level"] = levels[l.LogLevel]
		fields["msg"] = msg
		fields["time"] = now.UTC().Format(time.RFC3339Nano)
		var err error
		if line, err = json.Marshal(fields); err != nil {
			line, _ = json.Marshal(map[string]string{"level": levels[l.LogLevel], "msg": msg, "log_error": err.Error()})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.w.Write(append(line, '\n'))
}

func textLine(t time.Time, level, msg string, fields map[string]any) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", t.UTC().Format(time.RFC3339Nano), strings.ToUpper(level), msg)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, fields[k])
	}
	return []byte(b.String())
}
