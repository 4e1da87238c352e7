package ocilog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"code.cloudfoundry.org/guardian/logging"
	"code.cloudfoundry.org/lager/v3"
	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/garden-windows/garden-windows-release/internal/ocilog"
)

var _ = Describe("Sink", func() {
	var (
		out    *bytes.Buffer
		logger lager.Logger
	)

	BeforeEach(func() {
		out = new(bytes.Buffer)
		logger = lager.NewLogger("winc")
	})

	It("writes lines gdn parses, whose last error line's msg is the error", func() {
		logger.RegisterSink(ocilog.NewSink(out, ocilog.JSON, lager.DEBUG))
		logger.Debug("reserved", lager.Data{"id": "app-1"})
		logger.Error("failed", errors.New("container does not exist: app-1"), lager.Data{"command": "state"})

		gdnLog := lagertest.NewTestLogger("gdn")
		last := logging.ForwardRuncLogsToLager(gdnLog, "winc", out.Bytes())
		Expect(last.Msg).To(Equal("container does not exist: app-1"))
		Expect(logging.MsgFromLastLogLine(out.Bytes())).To(Equal("container does not exist: app-1"))
		Expect(gdnLog.LogMessages()).To(HaveLen(2), "no line was unparseable")

		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var first map[string]any
		Expect(json.Unmarshal([]byte(lines[0]), &first)).To(Succeed())
		Expect(first).To(HaveKeyWithValue("level", "debug"))
		Expect(first).To(HaveKeyWithValue("msg", "winc.reserved"))
		Expect(first).To(HaveKeyWithValue("id", "app-1"))
		Expect(first).To(HaveKey("time"))
		var second map[string]any
		Expect(json.Unmarshal([]byte(lines[1]), &second)).To(Succeed())
		Expect(second).To(HaveKeyWithValue("source", "winc.failed"))
		Expect(second).To(HaveKeyWithValue("command", "state"))
	})

	It("leaves out lines below its level", func() {
		logger.RegisterSink(ocilog.NewSink(out, ocilog.JSON, lager.INFO))
		logger.Debug("chatty")
		logger.Info("useful")
		Expect(out.String()).NotTo(ContainSubstring("chatty"))
		Expect(out.String()).To(ContainSubstring("useful"))
	})

	It("writes text for people", func() {
		logger.RegisterSink(ocilog.NewSink(out, ocilog.Text, lager.DEBUG))
		logger.Info("created", lager.Data{"id": "app-1", "bundle": "b"})
		Expect(out.String()).To(MatchRegexp(`^\S+ INFO winc\.created bundle=b id=app-1\n$`))
	})

	It("accepts json and text only", func() {
		Expect(ocilog.ParseFormat("json")).To(Equal(ocilog.JSON))
		Expect(ocilog.ParseFormat("text")).To(Equal(ocilog.Text))
		_, err := ocilog.ParseFormat("xml")
		Expect(err).To(MatchError(`log format "xml" is not supported: use json or text`))
	})
})
