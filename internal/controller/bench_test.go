package controller

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/source/cluster"
)

// snapshotOf is a cluster of n Deployments in 100 namespaces, half of them privileged.
func snapshotOf(n int) *cluster.Snapshot {
	s := &cluster.Snapshot{}
	for i := range 100 {
		ns := fmt.Sprintf("scale%02d", i)
		s.Namespaces = append(s.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, ResourceVersion: "1"}})
		s.ServiceAccounts = append(s.ServiceAccounts, corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns, ResourceVersion: "1"}})
	}
	for i := range n {
		d := privileged(fmt.Sprintf("app-%05d", i), i%2 == 0)
		d.Namespace, d.ResourceVersion = fmt.Sprintf("scale%02d", i%100), "1"
		s.Deployments = append(s.Deployments, *d)
	}
	return s
}

// BenchmarkAudit measures one audit of 10,000 Deployments and the reports built from
// it: all evaluated (the first audit), and all reused but one (a change).
func BenchmarkAudit(b *testing.B) {
	a, err := audit.New(audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := snapshotOf(10000)
	bl := newBuilder()
	run := func(memo *audit.Memo) int {
		if err := a.EachMemo(s, memo, func(p *report.Report) error { bl.add(p); return nil }); err != nil {
			b.Fatal(err)
		}
		return len(bl.reports(1 << 20))
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			run(nil)
		}
	})
	b.Run("one-change", func(b *testing.B) {
		memo := audit.NewMemo()
		run(memo)
		i := 0
		for b.Loop() {
			i++
			s.Deployments[i%len(s.Deployments)].ResourceVersion = fmt.Sprint(i + 1)
			run(memo)
		}
	})
	_ = appsv1.Deployment{}
}
