package session

import (
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/ppp"
	"github.com/dualpath/dualpath/pppoe"
)

// Every way an attempt ends has a code whose Japanese reads as Japanese,
// and the code survives a trip as JSON (msg.CodeText).
func TestEndCodesSpeakJapanese(t *testing.T) {
	outcomes := []outcome{
		{cause: CauseAuth, method: ppp.AuthPAP}, {cause: CauseAuth, method: ppp.AuthCHAP}, {cause: CauseAuth},
		{cause: CausePADT}, {cause: CauseSilent}, {cause: CauseLinkDown}, {cause: CauseHost},
		{cause: CauseDataPlane}, {cause: CauseShutdown},
	}
	for _, ev := range []pppoe.Event{{Reason: pppoe.FailNoOffer}, {Reason: pppoe.FailNoOffer, Offers: 2},
		{Reason: pppoe.FailNoOffer, Err: &pppoe.TagError{}}, {Reason: pppoe.FailNoPADS}, {Reason: pppoe.FailRefused}} {
		outcomes = append(outcomes, outcome{cause: CauseDiscovery, discovery: discoveryCode(ev)})
	}
	seen := map[string]bool{}
	for _, o := range outcomes {
		code := o.code()
		seen[code] = true
		tx := msg.CodeText(code, "as the session said it")
		if tx.EN != "as the session said it" || !msgtest.HasJapanese(tx.JA) {
			t.Errorf("%+v: code %q has no Japanese: %+v", o, code, tx)
		}
		if w := msgtest.ForeignWords(tx.JA); len(w) > 0 {
			t.Errorf("code %q: English %q in %q", code, w, tx.JA)
		}
	}
	for code := range codeTexts {
		if !seen[code] {
			t.Errorf("code %q is never given", code)
		}
	}
	if (outcome{}).code() != "" {
		t.Error("no cause has a code")
	}
	e := &EndError{Reason: "the data plane stopped: x", Code: "session-data-plane"}
	if msg.CodeOf(e) != "session-data-plane" || !strings.Contains(msg.ErrorText(e).JA, "データ転送部") {
		t.Errorf("EndError: %q %+v", msg.CodeOf(e), msg.ErrorText(e))
	}
}
