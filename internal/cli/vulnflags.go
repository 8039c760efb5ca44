package cli

import (
	"github.com/spf13/pflag"

	"github.com/kharden/kharden/internal/scan"
)

// vulnFlags are the vulnerability flags of scan image, scan --images, scan sbom and
// audit node; prefix starts their help ("with --images: ").
func vulnFlags(f *pflag.FlagSet, o *scan.VulnOptions, prefix string) {
	f.BoolVar(&o.Off, "no-vulns", false, prefix+"do not match packages against the vulnerability database")
	f.StringVar(&o.DB, "db", "", prefix+"vulnerability database directory (default: $KHARDEN_DB, else kharden/db under the user cache directory)")
	f.StringVar(&o.MaxAge, "max-db-age", "", prefix+"warn when the database is older than this: 7d, 36h, 1d12h (default: the config's vulnerabilities.maxDBAge, else 7d)")
	f.BoolVar(&o.IgnoreUnfixed, "ignore-unfixed", false, prefix+"leave out vulnerabilities no fixed version is known for")
	f.StringArrayVar(&o.VEX, "vex", nil, prefix+"OpenVEX document whose not_affected and fixed statements set findings aside (repeatable)")
}

// vulnFlagNames are the flags vulnFlags defines.
var vulnFlagNames = []string{"no-vulns", "db", "max-db-age", "ignore-unfixed", "vex"}
