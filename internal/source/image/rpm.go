package image

import "github.com/package-url/packageurl-go"

// parseRpmDB reads the packages of an rpmdb.
func parseRpmDB(b []byte) ([]Package, []lineError) { return nil, nil }

func rpmPURL(p Package, osr *OSRelease) string {
	return packageurl.NewPackageURL(p.Type, "", p.Name, p.Version, nil, "").ToString()
}
