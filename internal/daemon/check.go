package daemon

import (
	"errors"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/ddns"
)

// CheckConfig runs every check of a loaded config that needs no network:
// the config package's own validation (values, secret files, groups) and
// the DNS providers' requirements (ddns.ValidateConfig). Problems come back
// as one config.Errors in file order, each key reported once. It is what
// `dualpath check-config` and `dualpath run` use before doing anything.
func CheckConfig(cfg *config.Config) error {
	var all config.Errors
	seen := map[string]bool{}
	for _, err := range []error{cfg.Validate(), ddns.ValidateConfig(cfg)} {
		if err == nil {
			continue
		}
		var es config.Errors
		if !errors.As(err, &es) {
			return err
		}
		for _, e := range es {
			if !seen[e.Key] {
				seen[e.Key] = true
				all = append(all, e)
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	return all.Sorted()
}
