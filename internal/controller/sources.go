package controller

import (
	"cmp"
	"context"
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/kharden/kharden/internal/source/cluster"
)

// Short names keep the table below readable.
type (
	networkPolicy      = networkingv1.NetworkPolicy
	job                = batchv1.Job
	cronJob            = batchv1.CronJob
	role               = rbacv1.Role
	clusterRole        = rbacv1.ClusterRole
	roleBinding        = rbacv1.RoleBinding
	clusterRoleBinding = rbacv1.ClusterRoleBinding
	validatingWebhook  = admissionregistrationv1.ValidatingWebhookConfiguration
	mutatingWebhook    = admissionregistrationv1.MutatingWebhookConfiguration
)

// source is one resource the audit reads, watched by an informer.
type source struct {
	resource string // cluster.Resource*
	// client and path probe whether the controller may list the resource.
	client func(kubernetes.Interface) rest.Interface
	// informer is the factory's informer of the resource.
	informer func(informers.SharedInformerFactory) cache.SharedIndexInformer
	// fill copies the informer's objects into the snapshot.
	fill func(cache.Store, *cluster.Snapshot)
	// context: a change of the resource can change the verdicts on other objects
	// (ServiceAccounts: a pod's token automount; Namespaces: their labels).
	context bool
}

// values copies a store's objects, sorted by namespace and name as the API lists them.
// The pointers are sorted and the objects copied once: sorting the objects themselves
// moved each a dozen times (a Deployment is over a kilobyte), most of a snapshot's time.
func values[T any](st cache.Store) []T {
	items := st.List()
	ptrs := make([]*T, 0, len(items))
	for _, it := range items {
		if p, ok := it.(*T); ok {
			ptrs = append(ptrs, p)
		}
	}
	slices.SortFunc(ptrs, func(a, b *T) int {
		ma, mb := any(a).(metav1.Object), any(b).(metav1.Object)
		return cmp.Or(cmp.Compare(ma.GetNamespace(), mb.GetNamespace()), cmp.Compare(ma.GetName(), mb.GetName()))
	})
	out := make([]T, len(ptrs))
	for i, p := range ptrs {
		out[i] = *p
	}
	return out
}

func core(cs kubernetes.Interface) rest.Interface  { return cs.CoreV1().RESTClient() }
func apps(cs kubernetes.Interface) rest.Interface  { return cs.AppsV1().RESTClient() }
func batch(cs kubernetes.Interface) rest.Interface { return cs.BatchV1().RESTClient() }
func rbac(cs kubernetes.Interface) rest.Interface  { return cs.RbacV1().RESTClient() }
func netv1(cs kubernetes.Interface) rest.Interface { return cs.NetworkingV1().RESTClient() }
func adm(cs kubernetes.Interface) rest.Interface   { return cs.AdmissionregistrationV1().RESTClient() }

// sources are the resources of cluster.Snapshot, as cluster.Read lists them.
var sources = []source{
	{cluster.ResourceNamespaces, core, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Namespaces().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) { s.Namespaces = values[corev1.Namespace](st) }, true},
	{cluster.ResourceNodes, core, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Nodes().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) { s.Nodes = values[corev1.Node](st) }, false},
	{cluster.ResourceServiceAccounts, core, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().ServiceAccounts().Informer()
	}, func(st cache.Store, s *cluster.Snapshot) { s.ServiceAccounts = values[corev1.ServiceAccount](st) }, true},
	{cluster.ResourceNetworkPolicies, netv1, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Networking().V1().NetworkPolicies().Informer()
	}, func(st cache.Store, s *cluster.Snapshot) { s.NetworkPolicies = values[networkPolicy](st) }, false},
	{cluster.ResourcePods, core, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Pods().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) {
			s.Pods = values[corev1.Pod](st)
			s.ControlPlane = cluster.ControlPlanePods(s.Pods)
		}, false},
	{cluster.ResourcePodTemplates, core, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().PodTemplates().Informer()
	}, func(st cache.Store, s *cluster.Snapshot) { s.PodTemplates = values[corev1.PodTemplate](st) }, false},
	{cluster.ResourceReplicationControllers, core, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().ReplicationControllers().Informer()
	}, func(st cache.Store, s *cluster.Snapshot) {
		s.ReplicationControllers = values[corev1.ReplicationController](st)
	}, false},
	{cluster.ResourceDeployments, apps, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Apps().V1().Deployments().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) { s.Deployments = values[appsv1.Deployment](st) }, false},
	{cluster.ResourceStatefulSets, apps, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Apps().V1().StatefulSets().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) { s.StatefulSets = values[appsv1.StatefulSet](st) }, false},
	{cluster.ResourceDaemonSets, apps, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Apps().V1().DaemonSets().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) { s.DaemonSets = values[appsv1.DaemonSet](st) }, false},
	{cluster.ResourceReplicaSets, apps, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Apps().V1().ReplicaSets().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) { s.ReplicaSets = values[appsv1.ReplicaSet](st) }, false},
	{cluster.ResourceJobs, batch, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Batch().V1().Jobs().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) { s.Jobs = values[job](st) }, false},
	{cluster.ResourceCronJobs, batch, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Batch().V1().CronJobs().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) { s.CronJobs = values[cronJob](st) }, false},
	{cluster.ResourceRoles, rbac, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Rbac().V1().Roles().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) { s.Roles = values[role](st) }, false},
	{cluster.ResourceClusterRoles, rbac, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Rbac().V1().ClusterRoles().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) { s.ClusterRoles = values[clusterRole](st) }, false},
	{cluster.ResourceRoleBindings, rbac, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Rbac().V1().RoleBindings().Informer()
	},
		func(st cache.Store, s *cluster.Snapshot) { s.RoleBindings = values[roleBinding](st) }, false},
	{cluster.ResourceClusterRoleBindings, rbac, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Rbac().V1().ClusterRoleBindings().Informer()
	}, func(st cache.Store, s *cluster.Snapshot) { s.ClusterRoleBindings = values[clusterRoleBinding](st) }, false},
	{cluster.ResourceValidatingWebhookConfigurations, adm, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Admissionregistration().V1().ValidatingWebhookConfigurations().Informer()
	}, func(st cache.Store, s *cluster.Snapshot) { s.ValidatingWebhooks = values[validatingWebhook](st) }, false},
	{cluster.ResourceMutatingWebhookConfigurations, adm, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Admissionregistration().V1().MutatingWebhookConfigurations().Informer()
	}, func(st cache.Store, s *cluster.Snapshot) { s.MutatingWebhooks = values[mutatingWebhook](st) }, false},
}

// probe lists one object of the resource: a 403 or 404 tells that the controller
// cannot watch it.
func probe(ctx context.Context, cs kubernetes.Interface, s source) error {
	return s.client(cs).Get().Resource(s.resource).Param("limit", "1").Do(ctx).Error()
}

// stripManagedFields drops what the audit never reads and costs memory per object.
func stripManagedFields(obj any) (any, error) {
	if m, ok := obj.(metav1.Object); ok {
		m.SetManagedFields(nil)
	}
	return obj, nil
}
