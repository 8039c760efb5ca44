package image

// EndOfLife is the end of support of an OS release.
type EndOfLife struct {
	Date string `json:"date"`
}

func endOfLife(o *OSRelease) *EndOfLife { return nil }
