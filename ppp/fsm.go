package ppp

import (
	"bytes"
	"fmt"
	"time"
)

// State is a state of the RFC 1661 section 4.2 option negotiation
// automaton.
type State int

// The ten states of RFC 1661 section 4.2, numbered as in the state
// transition table of section 4.1.
const (
	StateInitial State = iota
	StateStarting
	StateClosed
	StateStopped
	StateClosing
	StateStopping
	StateReqSent
	StateAckRcvd
	StateAckSent
	StateOpened
)

var stateNames = [...]string{"Initial", "Starting", "Closed", "Stopped", "Closing", "Stopping", "Req-Sent", "Ack-Rcvd", "Ack-Sent", "Opened"}

// String returns the RFC 1661 name of the state, e.g. "Req-Sent".
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// fsmCallbacks are what a protocol supplies to the generic automaton, in the
// shape of pppd's struct fsm_callbacks.
type fsmCallbacks interface {
	// resetCI resets our wanted options before a fresh negotiation.
	resetCI(now time.Time)
	// addCI returns the options of our next Configure-Request.
	addCI() []byte
	// ackCI is told the options the peer acknowledged (already checked to
	// be exactly the ones we sent); false discards the Ack.
	ackCI(opts []byte) bool
	// nakCI applies a Configure-Nak; false means it was invalid and is
	// discarded.
	nakCI(opts []byte) bool
	// rejCI applies a Configure-Reject; false means it was invalid (it
	// named options we did not send) and is discarded.
	rejCI(opts []byte) bool
	// reqCI judges the peer's Configure-Request and returns
	// CodeConfigureAck, CodeConfigureNak or CodeConfigureReject with the
	// options to send back. With rejectIfDisagree set (Max-Failure
	// reached, RFC 1661 section 4.6) it must not Nak.
	reqCI(opts []byte, rejectIfDisagree bool) (code uint8, reply []byte)
	// up, down, starting and finished are the This-Layer-Up/-Down/
	// -Started/-Finished actions (RFC 1661 section 4.4).
	up(now time.Time)
	down(now time.Time)
	starting(now time.Time)
	finished(now time.Time)
	// extCode handles codes beyond 7 (LCP: Protocol-Reject, Echo,
	// Discard; the RXR event). It returns false for an unknown code,
	// which the automaton then Code-Rejects (RUC).
	extCode(now time.Time, p Packet) bool
	// codeRejected is told that the peer Code-Rejected a code above 7
	// (the RXJ+ event).
	codeRejected(code uint8)
}

// fsm is the RFC 1661 automaton, written once for LCP, IPCP and IPv6CP.
type fsm struct {
	name  string // "LCP", "IPCP", "IPv6CP": used in reasons
	proto uint16
	cb    fsmCallbacks
	send  func(proto uint16, p Packet)

	state    State
	id       uint8  // last identifier used for a request we sent
	reqID    uint8  // identifier of the outstanding Configure-Request
	reqOpts  []byte // options of the outstanding Configure-Request
	seenAck  bool   // an Ack/Nak/Reject for reqID was processed
	termID   uint8
	restarts int       // the restart counter
	deadline time.Time // restart timer; zero = not running
	nakLoops int       // Naks sent since negotiation began (Max-Failure)

	restartTimer                           time.Duration
	maxConfigure, maxTerminate, maxFailure int

	// why is the cause of the last transition towards Closed/Stopped,
	// read by finished callbacks.
	why string
	// trace, when set, is told every action (tests).
	trace func(action string)
}

func newFSM(name string, proto uint16, cb fsmCallbacks, cfg *Config, send func(uint16, Packet)) *fsm {
	return &fsm{
		name: name, proto: proto, cb: cb, send: send,
		restartTimer: cfg.RestartTimer,
		maxConfigure: cfg.MaxConfigure,
		maxTerminate: cfg.MaxTerminate,
		maxFailure:   cfg.MaxFailure,
	}
}

func (f *fsm) act(a string) {
	if f.trace != nil {
		f.trace(a)
	}
}

// setState changes state; the restart timer only runs in the states that
// await a reply (RFC 1661 section 4.2).
func (f *fsm) setState(s State) {
	f.state = s
	switch s {
	case StateClosing, StateStopping, StateReqSent, StateAckRcvd, StateAckSent:
	default:
		f.deadline = time.Time{}
	}
}

// --- actions (RFC 1661 section 4.4) ---

func (f *fsm) tlu(now time.Time) { f.act("tlu"); f.cb.up(now) }
func (f *fsm) tld(now time.Time) { f.act("tld"); f.cb.down(now) }
func (f *fsm) tls(now time.Time) { f.act("tls"); f.cb.starting(now) }
func (f *fsm) tlf(now time.Time) { f.act("tlf"); f.cb.finished(now) }

// irc initializes the restart counter for Configure (conf) or Terminate.
func (f *fsm) irc(conf bool) {
	f.act("irc")
	if conf {
		f.restarts = f.maxConfigure
	} else {
		f.restarts = f.maxTerminate
	}
}

// zrc zeroes the restart counter and starts the timer, so that TO- follows
// one restart period later (RFC 1661 section 4.4, Opened+RTR).
func (f *fsm) zrc(now time.Time) {
	f.act("zrc")
	f.restarts = 0
	f.deadline = now.Add(f.restartTimer)
}

// scr sends a Configure-Request. A retransmission keeps the identifier
// (RFC 1661 section 5.1 allows it, and a late Ack still matches).
func (f *fsm) scr(now time.Time, retransmit bool) {
	f.act("scr")
	switch f.state {
	case StateReqSent, StateAckRcvd, StateAckSent:
	default:
		// Not negotiating yet: start afresh (pppd fsm_sconfreq).
		f.cb.resetCI(now)
		f.nakLoops = 0
		retransmit = false
	}
	if !retransmit || f.reqOpts == nil {
		f.id++
		f.reqID = f.id
		f.reqOpts = f.cb.addCI()
		if f.reqOpts == nil {
			f.reqOpts = []byte{}
		}
	}
	f.seenAck = false
	f.restarts--
	f.deadline = now.Add(f.restartTimer)
	f.send(f.proto, Packet{Code: CodeConfigureRequest, ID: f.reqID, Data: f.reqOpts})
}

func (f *fsm) sca(id uint8, opts []byte) {
	f.act("sca")
	f.send(f.proto, Packet{Code: CodeConfigureAck, ID: id, Data: opts})
}

// scn sends a Configure-Nak or Configure-Reject.
func (f *fsm) scn(id, code uint8, opts []byte) {
	f.act("scn")
	f.send(f.proto, Packet{Code: code, ID: id, Data: opts})
}

func (f *fsm) str(now time.Time) {
	f.act("str")
	f.id++
	f.termID = f.id
	f.restarts--
	f.deadline = now.Add(f.restartTimer)
	var data []byte
	if f.why != "" {
		data = []byte(f.why)
	}
	f.send(f.proto, Packet{Code: CodeTerminateRequest, ID: f.termID, Data: data})
}

func (f *fsm) sta(id uint8) {
	f.act("sta")
	f.send(f.proto, Packet{Code: CodeTerminateAck, ID: id})
}

// scj sends a Code-Reject carrying the rejected packet (RFC 1661 section
// 5.6), truncated by the caller's send function to the peer's MRU.
func (f *fsm) scj(p Packet) {
	f.act("scj")
	f.id++
	f.send(f.proto, Packet{Code: CodeCodeReject, ID: f.id, Data: p.Append(nil)})
}

// --- events (RFC 1661 section 4.3) ---

// lowerUp is the Up event.
func (f *fsm) lowerUp(now time.Time) {
	switch f.state {
	case StateInitial:
		f.setState(StateClosed)
	case StateStarting:
		f.irc(true)
		f.scr(now, false)
		f.setState(StateReqSent)
	}
}

// lowerDown is the Down event.
func (f *fsm) lowerDown(now time.Time) {
	switch f.state {
	case StateClosed, StateClosing:
		f.setState(StateInitial)
	case StateStopped:
		f.setState(StateStarting)
		f.tls(now)
	case StateStopping, StateReqSent, StateAckRcvd, StateAckSent:
		f.setState(StateStarting)
	case StateOpened:
		f.tld(now)
		f.setState(StateStarting)
	}
}

// open is the administrative Open event.
func (f *fsm) open(now time.Time) {
	switch f.state {
	case StateInitial:
		f.setState(StateStarting)
		f.tls(now)
	case StateClosed:
		f.irc(true)
		f.scr(now, false)
		f.setState(StateReqSent)
	case StateClosing:
		f.setState(StateStopping)
	}
}

// close is the administrative Close event; why goes into the
// Terminate-Request and into finished.
func (f *fsm) close(now time.Time, why string) {
	if why != "" {
		f.why = why
	}
	switch f.state {
	case StateStarting:
		f.setState(StateInitial)
		f.tlf(now)
	case StateStopped:
		f.setState(StateClosed)
	case StateStopping:
		f.setState(StateClosing)
	case StateReqSent, StateAckRcvd, StateAckSent:
		f.irc(false)
		f.str(now)
		f.setState(StateClosing)
	case StateOpened:
		f.tld(now)
		f.irc(false)
		f.str(now)
		f.setState(StateClosing)
	}
}

// timeout is the TO+ / TO- event, due when the restart timer expires.
func (f *fsm) timeout(now time.Time) {
	f.deadline = time.Time{}
	switch f.state {
	case StateClosing, StateStopping, StateReqSent, StateAckRcvd, StateAckSent:
	default:
		return
	}
	if f.restarts > 0 { // TO+
		switch f.state {
		case StateClosing, StateStopping:
			f.str(now)
		case StateReqSent, StateAckRcvd:
			f.scr(now, true)
			f.setState(StateReqSent)
		case StateAckSent:
			f.scr(now, true)
		}
		return
	}
	// TO-
	switch f.state {
	case StateClosing:
		f.setState(StateClosed)
		f.tlf(now)
	case StateStopping:
		f.setState(StateStopped)
		f.tlf(now)
	default:
		if f.why == "" {
			f.why = fmt.Sprintf("%s negotiation failed: no answer to %d Configure-Requests", f.name, f.maxConfigure)
		}
		f.setState(StateStopped)
		f.tlf(now)
	}
}

// input handles one received packet of this protocol.
func (f *fsm) input(now time.Time, data []byte) {
	p, err := ParsePacket(data)
	if err != nil {
		return // silently discarded (RFC 1661 section 5)
	}
	if f.state == StateInitial || f.state == StateStarting {
		// RFC 1661 section 4.1: no packets are expected before the
		// lower layer is up; they are silently discarded.
		return
	}
	switch p.Code {
	case CodeConfigureRequest:
		if _, err := ParseOptions(p.Data); err != nil {
			return // a malformed request is silently discarded
		}
		f.rcr(now, p)
	case CodeConfigureAck:
		f.rca(now, p)
	case CodeConfigureNak, CodeConfigureReject:
		f.rcn(now, p)
	case CodeTerminateRequest:
		f.rtr(now, p)
	case CodeTerminateAck:
		f.rta(now)
	case CodeCodeReject:
		if len(p.Data) < 1 {
			return
		}
		rejected := p.Data[0]
		if rejected >= CodeConfigureRequest && rejected <= CodeCodeReject {
			f.rxjMinus(now, fmt.Sprintf("peer rejected %s code %d", f.name, rejected))
		} else {
			f.cb.codeRejected(rejected)
			f.rxjPlus()
		}
	default:
		if !f.cb.extCode(now, p) {
			f.ruc(p)
		}
	}
}

// rcr is the RCR+ / RCR- event.
func (f *fsm) rcr(now time.Time, p Packet) {
	switch f.state {
	case StateClosed:
		f.sta(p.ID)
		return
	case StateClosing, StateStopping:
		return
	case StateStopped:
		f.irc(true)
		f.scr(now, false)
		f.setState(StateReqSent)
	case StateOpened:
		f.tld(now)
		f.scr(now, false)
		f.setState(StateReqSent)
	}
	code, reply := f.cb.reqCI(p.Data, f.nakLoops >= f.maxFailure)
	if code == CodeConfigureAck {
		f.sca(p.ID, reply)
		switch f.state {
		case StateReqSent, StateAckSent:
			f.setState(StateAckSent)
		case StateAckRcvd:
			f.setState(StateOpened)
			f.tlu(now)
		}
		return
	}
	if code == CodeConfigureNak {
		f.nakLoops++
	}
	f.scn(p.ID, code, reply)
	if f.state == StateAckSent {
		f.setState(StateReqSent)
	}
}

// validReply reports whether p answers the outstanding Configure-Request.
func (f *fsm) validReply(p Packet) bool {
	return p.ID == f.reqID && !f.seenAck
}

// rca is the RCA event.
func (f *fsm) rca(now time.Time, p Packet) {
	switch f.state {
	case StateClosed, StateStopped:
		f.sta(p.ID)
		return
	case StateClosing, StateStopping:
		return
	}
	// RFC 1661 section 5.2: an Ack whose identifier or options do not
	// match the outstanding request is silently discarded.
	if !f.validReply(p) || !bytes.Equal(p.Data, f.reqOpts) || !f.cb.ackCI(p.Data) {
		return
	}
	f.seenAck = true
	switch f.state {
	case StateReqSent:
		f.irc(true)
		f.setState(StateAckRcvd)
	case StateAckRcvd: // crossed connection
		f.scr(now, false)
		f.setState(StateReqSent)
	case StateAckSent:
		f.irc(true)
		f.setState(StateOpened)
		f.tlu(now)
	case StateOpened:
		f.tld(now)
		f.scr(now, false)
		f.setState(StateReqSent)
	}
}

// rcn is the RCN event (Configure-Nak or Configure-Reject).
func (f *fsm) rcn(now time.Time, p Packet) {
	switch f.state {
	case StateClosed, StateStopped:
		f.sta(p.ID)
		return
	case StateClosing, StateStopping:
		return
	}
	if !f.validReply(p) {
		return
	}
	var ok bool
	if p.Code == CodeConfigureNak {
		ok = f.cb.nakCI(p.Data)
	} else {
		ok = f.cb.rejCI(p.Data)
	}
	if !ok {
		return
	}
	f.seenAck = true
	switch f.state {
	case StateReqSent, StateAckSent:
		f.irc(true)
		f.scr(now, false)
	case StateAckRcvd:
		f.scr(now, false)
		f.setState(StateReqSent)
	case StateOpened:
		f.tld(now)
		f.scr(now, false)
		f.setState(StateReqSent)
	}
}

// rtr is the RTR event.
func (f *fsm) rtr(now time.Time, p Packet) {
	switch f.state {
	case StateClosed, StateStopped, StateClosing, StateStopping, StateReqSent:
		f.sta(p.ID)
	case StateAckRcvd, StateAckSent:
		f.sta(p.ID)
		f.setState(StateReqSent)
	case StateOpened:
		f.why = "peer requested termination"
		if msg := printable(p.Data); msg != "" {
			f.why += " (" + msg + ")"
		}
		f.tld(now)
		f.zrc(now)
		f.sta(p.ID)
		f.setState(StateStopping)
	}
}

// rta is the RTA event.
func (f *fsm) rta(now time.Time) {
	switch f.state {
	case StateClosing:
		f.setState(StateClosed)
		f.tlf(now)
	case StateStopping:
		f.setState(StateStopped)
		f.tlf(now)
	case StateAckRcvd:
		f.setState(StateReqSent)
	case StateOpened:
		f.tld(now)
		f.scr(now, false)
		f.setState(StateReqSent)
	}
}

// ruc is the RUC event: an unknown code is Code-Rejected in every state
// from Closed on.
func (f *fsm) ruc(p Packet) {
	f.scj(p)
}

// rxjPlus is the RXJ+ event: a permitted reject.
func (f *fsm) rxjPlus() {
	if f.state == StateAckRcvd {
		f.setState(StateReqSent)
	}
}

// rxjMinus is the RXJ- event: a catastrophic reject (of a Configure or
// Terminate code, or of the whole protocol).
func (f *fsm) rxjMinus(now time.Time, why string) {
	switch f.state {
	case StateInitial, StateStarting:
		return
	}
	f.why = why
	switch f.state {
	case StateClosed, StateClosing:
		f.setState(StateClosed)
		f.tlf(now)
	case StateStopped, StateStopping, StateReqSent, StateAckRcvd, StateAckSent:
		f.setState(StateStopped)
		f.tlf(now)
	case StateOpened:
		f.tld(now)
		f.irc(false)
		f.str(now)
		f.setState(StateStopping)
	}
}

// printable returns b as text if it is short printable ASCII, else "".
func printable(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return ""
		}
	}
	return string(b)
}
