package doctor

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
)

// A missing interface is said in the reader's language, not with the
// kernel's English "Link not found".
func TestMissingInterfaceSpeaksJapanese(t *testing.T) {
	r := noInterface("enp9s9", fmt.Errorf("%w: enp9s9", hostnet.ErrInterfaceNotFound))
	if got := r.Summary.In(msg.Japanese); got != "インターフェース enp9s9 はありません" {
		t.Errorf("Japanese summary %q", got)
	}
	if strings.Contains(r.Fix.In(msg.Japanese), "not found") || r.Status != Skip {
		t.Errorf("%+v", r)
	}
}
