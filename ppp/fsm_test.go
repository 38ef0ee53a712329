package ppp

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testCB is a protocol for the bare automaton: it records the layer
// actions and answers Configure-Requests as the test says.
type testCB struct {
	f        *fsm
	ack      bool // reqCI answers Ack (RCR+) or Nak (RCR-)
	rejectIf []bool
	rejected []uint8
}

var testOpts = []byte{5, 6, 1, 2, 3, 4} // a Magic-Number option

func (c *testCB) resetCI(time.Time) {}
func (c *testCB) addCI() []byte     { return append([]byte(nil), testOpts...) }
func (c *testCB) ackCI([]byte) bool { return true }
func (c *testCB) nakCI([]byte) bool { return true }
func (c *testCB) rejCI([]byte) bool { return true }
func (c *testCB) reqCI(opts []byte, rejectIfDisagree bool) (uint8, []byte) {
	c.rejectIf = append(c.rejectIf, rejectIfDisagree)
	if c.ack {
		return CodeConfigureAck, opts
	}
	if rejectIfDisagree {
		return CodeConfigureReject, opts
	}
	return CodeConfigureNak, opts
}
func (c *testCB) up(time.Time)       {}
func (c *testCB) down(time.Time)     {}
func (c *testCB) starting(time.Time) {}
func (c *testCB) finished(time.Time) {}
func (c *testCB) extCode(_ time.Time, p Packet) bool {
	if p.Code != CodeEchoRequest {
		return false
	}
	if c.f.state == StateOpened { // RXR: ser in Opened only
		c.f.act("ser")
	}
	return true
}
func (c *testCB) codeRejected(code uint8) { c.rejected = append(c.rejected, code) }

// rfc1661Table is the state transition table of RFC 1661 section 4.1,
// column per state 0-9 (Initial .. Opened). A cell is "actions/next",
// "next" or "-" (cannot happen: nothing is done). The RFC's r, p and x
// annotations (restart option, passive option, crossed connection) are
// kept in the text and ignored: the restart and passive options are not
// implemented, so those cells behave as written without them.
var rfc1661Table = []struct {
	event string
	cells [10]string
}{
	{"Up", [10]string{"2", "irc,scr/6", "-", "-", "-", "-", "-", "-", "-", "-"}},
	{"Down", [10]string{"-", "-", "0", "tls/1", "0", "1", "1", "1", "1", "tld/1"}},
	{"Open", [10]string{"tls/1", "1", "irc,scr/6", "3r", "5r", "5r", "6", "7", "8", "9r"}},
	{"Close", [10]string{"0", "tlf/0", "2", "2", "4", "4", "irc,str/4", "irc,str/4", "irc,str/4", "tld,irc,str/4"}},
	{"TO+", [10]string{"-", "-", "-", "-", "str/4", "str/5", "scr/6", "scr/6", "scr/8", "-"}},
	{"TO-", [10]string{"-", "-", "-", "-", "tlf/2", "tlf/3", "tlf/3p", "tlf/3p", "tlf/3p", "-"}},
	{"RCR+", [10]string{"-", "-", "sta/2", "irc,scr,sca/8", "4", "5", "sca/8", "sca,tlu/9", "sca/8", "tld,scr,sca/8"}},
	{"RCR-", [10]string{"-", "-", "sta/2", "irc,scr,scn/6", "4", "5", "scn/6", "scn/7", "scn/6", "tld,scr,scn/6"}},
	{"RCA", [10]string{"-", "-", "sta/2", "sta/3", "4", "5", "irc/7", "scr/6x", "irc,tlu/9", "tld,scr/6x"}},
	{"RCN", [10]string{"-", "-", "sta/2", "sta/3", "4", "5", "irc,scr/6", "scr/6x", "irc,scr/8", "tld,scr/6x"}},
	{"RTR", [10]string{"-", "-", "sta/2", "sta/3", "sta/4", "sta/5", "sta/6", "sta/6", "sta/6", "tld,zrc,sta/5"}},
	{"RTA", [10]string{"-", "-", "2", "3", "tlf/2", "tlf/3", "6", "6", "8", "tld,scr/6"}},
	{"RUC", [10]string{"-", "-", "scj/2", "scj/3", "scj/4", "scj/5", "scj/6", "scj/7", "scj/8", "scj/9"}},
	{"RXJ+", [10]string{"-", "-", "2", "3", "4", "5", "6", "6", "8", "9"}},
	{"RXJ-", [10]string{"-", "-", "tlf/2", "tlf/3", "tlf/2", "tlf/3", "tlf/3", "tlf/3", "tlf/3", "tld,irc,str/5"}},
	{"RXR", [10]string{"-", "-", "2", "3", "4", "5", "6", "7", "8", "ser/9"}},
}

// parseCell turns "irc,scr/6x" into its actions and next state.
func parseCell(t *testing.T, cell string, from State) ([]string, State) {
	t.Helper()
	if cell == "-" {
		return nil, from
	}
	acts, next := "", cell
	if i := strings.IndexByte(cell, '/'); i >= 0 {
		acts, next = cell[:i], cell[i+1:]
	}
	next = strings.TrimRight(next, "rpx")
	n, err := strconv.Atoi(next)
	if err != nil {
		t.Fatalf("bad cell %q", cell)
	}
	var list []string
	if acts != "" {
		list = strings.Split(acts, ",")
	}
	return list, State(n)
}

var sentCode = map[string]uint8{
	"scr": CodeConfigureRequest, "sca": CodeConfigureAck, "scn": CodeConfigureNak,
	"str": CodeTerminateRequest, "sta": CodeTerminateAck, "scj": CodeCodeReject,
}

// TestStateTransitionTable drives the automaton through every cell of the
// RFC 1661 section 4.1 table and checks the actions, their order, the
// packets sent and the next state.
func TestStateTransitionTable(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, row := range rfc1661Table {
		for s := StateInitial; s <= StateOpened; s++ {
			t.Run(row.event+"/"+s.String(), func(t *testing.T) {
				cfg := Config{}
				cfg.setDefaults()
				var sent []Packet
				cb := &testCB{ack: row.event != "RCR-"}
				f := newFSM("TEST", 0x8021, cb, &cfg, func(_ uint16, p Packet) { sent = append(sent, p) })
				cb.f = f
				var got []string
				f.trace = func(a string) { got = append(got, a) }
				f.state = s
				f.id, f.reqID, f.reqOpts = 7, 7, append([]byte(nil), testOpts...)
				f.restarts = 3
				if s >= StateClosing && s <= StateAckSent {
					f.deadline = now.Add(time.Second)
				}
				in := func(code, id uint8, data []byte) {
					f.input(now, Packet{Code: code, ID: id, Data: data}.Append(nil))
				}
				switch row.event {
				case "Up":
					f.lowerUp(now)
				case "Down":
					f.lowerDown(now)
				case "Open":
					f.open(now)
				case "Close":
					f.close(now, "test")
				case "TO+":
					f.timeout(now)
				case "TO-":
					f.restarts = 0
					f.timeout(now)
				case "RCR+", "RCR-":
					in(CodeConfigureRequest, 42, []byte{1, 4, 5, 0xd4})
				case "RCA":
					in(CodeConfigureAck, 7, testOpts)
				case "RCN":
					in(CodeConfigureNak, 7, testOpts)
				case "RTR":
					in(CodeTerminateRequest, 43, nil)
				case "RTA":
					in(CodeTerminateAck, 7, nil)
				case "RUC":
					in(99, 44, []byte{1, 2})
				case "RXJ+":
					in(CodeCodeReject, 45, Packet{Code: 12, ID: 3}.Append(nil))
				case "RXJ-":
					in(CodeCodeReject, 45, Packet{Code: CodeConfigureNak, ID: 3}.Append(nil))
				case "RXR":
					in(CodeEchoRequest, 46, []byte{0, 0, 0, 0})
				}
				wantActs, wantState := parseCell(t, row.cells[s], s)
				if !reflect.DeepEqual(got, wantActs) {
					t.Errorf("actions = %v, want %v", got, wantActs)
				}
				if f.state != wantState {
					t.Errorf("state = %v, want %v", f.state, wantState)
				}
				// The packets sent follow the send actions one to one.
				var wantCodes, gotCodes []uint8
				for _, a := range wantActs {
					if c, ok := sentCode[a]; ok {
						if a == "scn" {
							c = CodeConfigureNak
						}
						wantCodes = append(wantCodes, c)
					}
				}
				for _, p := range sent {
					gotCodes = append(gotCodes, p.Code)
				}
				if !reflect.DeepEqual(gotCodes, wantCodes) {
					t.Errorf("sent codes = %v, want %v", gotCodes, wantCodes)
				}
				// The restart timer runs exactly in the states awaiting a reply.
				timed := f.state >= StateClosing && f.state <= StateAckSent
				if timed != !f.deadline.IsZero() {
					t.Errorf("in %v timer running = %v", f.state, !f.deadline.IsZero())
				}
			})
		}
	}
}

// TestRestartCounters checks Max-Configure, Max-Terminate and Max-Failure
// (RFC 1661 section 4.6) and that a retransmission keeps its identifier.
func TestRestartCounters(t *testing.T) {
	now := time.Unix(1000, 0)
	cfg := Config{MaxConfigure: 4, MaxTerminate: 3, MaxFailure: 2}
	cfg.setDefaults()
	var sent []Packet
	cb := &testCB{}
	f := newFSM("TEST", 0x8021, cb, &cfg, func(_ uint16, p Packet) { sent = append(sent, p) })
	cb.f = f
	var acts []string
	f.trace = func(a string) { acts = append(acts, a) }

	f.open(now)
	f.lowerUp(now)
	for f.state == StateReqSent {
		if f.deadline.IsZero() || f.deadline.Sub(now) != cfg.RestartTimer {
			t.Fatalf("deadline %v, want now+%v", f.deadline, cfg.RestartTimer)
		}
		now = f.deadline
		f.timeout(now)
	}
	if f.state != StateStopped || acts[len(acts)-1] != "tlf" {
		t.Fatalf("after timeouts: state %v, last action %v", f.state, acts[len(acts)-1])
	}
	if len(sent) != 4 {
		t.Fatalf("sent %d Configure-Requests, want Max-Configure=4", len(sent))
	}
	for _, p := range sent {
		if p.Code != CodeConfigureRequest || p.ID != sent[0].ID {
			t.Fatalf("retransmission changed: %+v vs %+v", p, sent[0])
		}
	}
	if !strings.Contains(f.why, "no answer") {
		t.Errorf("why = %q", f.why)
	}

	// Max-Failure: after 2 Naks the automaton asks for Reject instead.
	sent, acts = nil, nil
	f.close(now, "")
	f.open(now) // Closed -> irc,scr/6
	for i := 0; i < 4; i++ {
		f.input(now, Packet{Code: CodeConfigureRequest, ID: uint8(i), Data: []byte{1, 4, 0, 200}}.Append(nil))
	}
	if want := []bool{false, false, true, true}; !reflect.DeepEqual(cb.rejectIf, want) {
		t.Errorf("rejectIfDisagree = %v, want %v", cb.rejectIf, want)
	}

	// Max-Terminate: Opened + Close sends str Max-Terminate times, then tlf.
	f.state = StateOpened
	sent = nil
	f.close(now, "admin")
	for f.state == StateClosing {
		now = f.deadline
		f.timeout(now)
	}
	if f.state != StateClosed || len(sent) != 3 {
		t.Fatalf("state %v, %d Terminate-Requests, want Closed and 3", f.state, len(sent))
	}
	for _, p := range sent {
		if p.Code != CodeTerminateRequest || string(p.Data) != "admin" {
			t.Errorf("sent %+v", p)
		}
	}
}

// TestStaleRepliesDiscarded checks RFC 1661 section 5.2-5.4: an Ack with a
// wrong identifier or changed options, and a duplicate Ack, do nothing.
func TestStaleRepliesDiscarded(t *testing.T) {
	now := time.Unix(1000, 0)
	cfg := Config{}
	cfg.setDefaults()
	cb := &testCB{ack: true}
	f := newFSM("TEST", 0x8021, cb, &cfg, func(uint16, Packet) {})
	cb.f = f
	f.open(now)
	f.lowerUp(now)
	id := f.reqID
	f.input(now, Packet{Code: CodeConfigureAck, ID: id + 1, Data: testOpts}.Append(nil))
	f.input(now, Packet{Code: CodeConfigureAck, ID: id, Data: []byte{5, 6, 9, 9, 9, 9}}.Append(nil))
	f.input(now, Packet{Code: CodeConfigureNak, ID: id - 1, Data: nil}.Append(nil))
	if f.state != StateReqSent {
		t.Fatalf("state %v after bad replies, want Req-Sent", f.state)
	}
	f.input(now, Packet{Code: CodeConfigureAck, ID: id, Data: testOpts}.Append(nil))
	if f.state != StateAckRcvd {
		t.Fatalf("state %v, want Ack-Rcvd", f.state)
	}
	f.input(now, Packet{Code: CodeConfigureAck, ID: id, Data: testOpts}.Append(nil))
	if f.state != StateAckRcvd {
		t.Fatalf("duplicate Ack moved to %v", f.state)
	}
	f.input(now, Packet{Code: CodeConfigureRequest, ID: 1, Data: []byte{1, 4, 5, 0}}.Append(nil))
	if f.state != StateOpened {
		t.Fatalf("state %v, want Opened", f.state)
	}
}
