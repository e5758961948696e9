package relay

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"relaywiz/checks"
	"relaywiz/termtext"
)

// Step names where a message's transaction ended.
const (
	StepMail = "mail" // MAIL FROM (includes opening the upstream connection)
	StepRcpt = "rcpt"
	StepData = "data" // the DATA command or the body transfer
	StepDot  = "dot"  // the upstream's reply to the final "."
	StepDone = "done" // accepted upstream
	// StepAbandoned: the client ended the transaction itself (RSET, QUIT,
	// hang-up, also in the middle of the message) and got no final reply.
	StepAbandoned = "abandoned"
)

// Swaks-compatible exit statuses for refusals after the connection was up
// (swaks: 23 MAIL, 24 RCPT, 25 DATA, 26 end of data). Connection-stage
// failures use checks.Stage.ExitCode (2, 21, 22, 28, 29).
const (
	ExitMailRefused = 23
	ExitRcptRefused = 24
	ExitDataRefused = 25
	ExitDotRefused  = 26
)

// MessageRecord is what happened to one message (one MAIL transaction).
type MessageRecord struct {
	From     string   `json:"from"`
	To       []string `json:"to"`
	Refused  []string `json:"refused_rcpts,omitempty"` // recipients the upstream refused
	Size     int64    `json:"size"`                    // body bytes relayed
	Accepted bool     `json:"accepted"`                // the upstream said 250 to the final "."
	Step     string   `json:"step"`                    // where the transaction ended (Step*)
	// Reply is what the relay answered its client at that step.
	Reply string `json:"reply"`
	// UpstreamReply is the smart host's own last reply, when it gave one.
	UpstreamReply string `json:"upstream_reply,omitempty"`
	QueueID       string `json:"queue_id,omitempty"`
	// UpstreamStage is set when opening the upstream connection failed.
	UpstreamStage checks.Stage  `json:"upstream_stage,omitempty"`
	Duration      time.Duration `json:"-"`
	Ms            int64         `json:"ms"`
	Err           error         `json:"-"`
	// Session is the SessionRecord.ID of the client connection it came on.
	Session int64 `json:"-"`
}

// ExitCode maps the outcome to the documented exit statuses: 0 accepted,
// the checks stage code when the upstream connection failed, swaks's
// 23–26 when the smart host refused the transaction, 1 otherwise.
func (m MessageRecord) ExitCode() int {
	if m.Accepted {
		return 0
	}
	if m.UpstreamStage != "" {
		return m.UpstreamStage.ExitCode()
	}
	switch m.Step {
	case StepMail:
		return ExitMailRefused
	case StepRcpt:
		return ExitRcptRefused
	case StepData:
		return ExitDataRefused
	case StepDot:
		return ExitDotRefused
	}
	return 1
}

// SessionRecord is one client connection to the relay: the log line.
type SessionRecord struct {
	ID       int64           `json:"session"`
	Start    time.Time       `json:"time"`
	Client   string          `json:"client"`
	HELO     string          `json:"helo,omitempty"`
	TLS      bool            `json:"tls"`
	User     string          `json:"user,omitempty"` // client AUTH user (remote mode)
	Upstream string          `json:"upstream"`
	Messages []MessageRecord `json:"messages"`
	Duration time.Duration   `json:"-"`
	Ms       int64           `json:"ms"`
}

// jsonLine renders the record as one JSON object (for --json-log).
func (r SessionRecord) jsonLine() string {
	r.Ms = r.Duration.Milliseconds()
	for i := range r.Messages {
		r.Messages[i].Ms = r.Messages[i].Duration.Milliseconds()
		if r.Messages[i].To == nil {
			r.Messages[i].To = []string{}
		}
	}
	if r.Messages == nil {
		r.Messages = []MessageRecord{}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Sprintf(`{"session":%d,"error":%q}`, r.ID, err.Error())
	}
	return string(b)
}

// textLine renders the record as one human-readable line: who, what, how
// big, what the smart host said, how long it took.
func (r SessionRecord) textLine() string {
	var b strings.Builder
	// HELO, user and addresses are the client's words: escaped, so a log
	// line cannot drive a terminal or forge a second line.
	fmt.Fprintf(&b, "%s session #%d client=%s", r.Start.Format(time.RFC3339), r.ID, r.Client)
	if r.HELO != "" {
		fmt.Fprintf(&b, " helo=%s", termtext.Escape(r.HELO))
	}
	if r.User != "" {
		fmt.Fprintf(&b, " user=%s", termtext.Escape(r.User))
	}
	switch len(r.Messages) {
	case 0:
		b.WriteString(" no message")
	case 1:
		writeMessage(&b, r.Messages[0])
	default:
		fmt.Fprintf(&b, " messages=%d", len(r.Messages))
		for i, m := range r.Messages {
			fmt.Fprintf(&b, " [%d]", i+1)
			writeMessage(&b, m)
		}
	}
	fmt.Fprintf(&b, " time=%s", r.Duration.Round(time.Millisecond))
	return b.String()
}

func writeMessage(b *strings.Builder, m MessageRecord) {
	fmt.Fprintf(b, " from=<%s> to=", termtext.Escape(m.From))
	for i, t := range m.To {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, "<%s>", termtext.Escape(t))
	}
	if len(m.To) == 0 {
		b.WriteString("-")
	}
	if len(m.Refused) > 0 {
		fmt.Fprintf(b, " refused=%s", termtext.Escape(strings.Join(m.Refused, ",")))
	}
	fmt.Fprintf(b, " size=%d", m.Size)
	if m.Accepted {
		b.WriteString(" result=accepted")
	} else {
		fmt.Fprintf(b, " result=failed step=%s", m.Step)
		if m.UpstreamStage != "" {
			fmt.Fprintf(b, " upstream_stage=%s", m.UpstreamStage)
		}
	}
	if m.QueueID != "" {
		fmt.Fprintf(b, " queue_id=%s", termtext.Escape(m.QueueID))
	}
	if m.UpstreamReply != "" {
		fmt.Fprintf(b, " upstream_reply=%q", m.UpstreamReply)
	}
	fmt.Fprintf(b, " reply=%q", firstLine(m.Reply))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
