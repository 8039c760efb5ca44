package image

func parseJar(name string, b []byte, limit int64) ([]Package, []lineError) { return nil, nil }
