package checks

import (
	"errors"
	"fmt"
)

// Stage names one step of the path to the smart host, in the order a
// session walks them. The string values are the JSON names.
type Stage string

const (
	StageDNS      Stage = "dns"
	StageConnect  Stage = "connect"
	StageBanner   Stage = "banner"
	StageEHLO     Stage = "ehlo"
	StageStartTLS Stage = "starttls"
	StageTLS      Stage = "tls"
	StageEHLOTLS  Stage = "ehlo_tls"
	StageAuth     Stage = "auth"
)

// Stages lists every stage in session order.
func Stages() []Stage {
	return []Stage{StageDNS, StageConnect, StageBanner, StageEHLO, StageStartTLS, StageTLS, StageEHLOTLS, StageAuth}
}

// Index is the stage's position in session order (-1 if unknown); the
// "first failing stage" of a multi-port report is the one with the
// smallest index.
func (s Stage) Index() int {
	for i, st := range Stages() {
		if st == s {
			return i
		}
	}
	return -1
}

// ExitCode is the process exit status for a failure at this stage. The
// numbers are swaks's where the two overlap, so scripts written around
// swaks keep working.
func (s Stage) ExitCode() int {
	switch s {
	case StageDNS, StageConnect:
		return 2
	case StageBanner:
		return 21
	case StageEHLO:
		return 22
	case StageStartTLS, StageTLS, StageEHLOTLS:
		return 29
	case StageAuth:
		return 28
	}
	return 1
}

// StageError is the error every failing session returns: which stage
// broke, the underlying error (an *smtp.SMTPError when the server said
// no), and a sentence an admin can act on.
type StageError struct {
	Stage Stage
	Err   error
	Hint  string
	// ExchangeError is what Exchange's queue will show for this failure
	// (Exchange dialects; "" when nothing applies).
	ExchangeError string
}

func (e *StageError) Error() string {
	if e.Err == nil {
		return string(e.Stage) + " failed"
	}
	return fmt.Sprintf("%s: %v", e.Stage, e.Err)
}

func (e *StageError) Unwrap() error { return e.Err }

// StageOf returns the stage of the first *StageError in err's chain.
func StageOf(err error) (Stage, bool) {
	var se *StageError
	if errors.As(err, &se) {
		return se.Stage, true
	}
	return "", false
}
