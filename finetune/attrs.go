package finetune

import (
	"fmt"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// bindNodes reads every node's attributes once, strictly, through the op
// layer; handlers get them with attrsOf.
func (n *net) bindNodes(m *ir.Model) error {
	nodes, err := schema.BindModel(m)
	if err != nil {
		return fmt.Errorf("finetune: %w", err)
	}
	n.bound = make(map[*ir.Node]*schema.Node, len(nodes))
	for _, b := range nodes {
		n.bound[b.Node] = b
	}
	return nil
}

// attrsOf returns node nd's attributes as the op layer's struct *T.
func attrsOf[T any](n *net, nd *ir.Node) (*T, error) {
	b, ok := n.bound[nd]
	if !ok {
		return nil, fmt.Errorf("node %q was not bound by the op layer", nd.Name)
	}
	return schema.As[T](b)
}

// opsetOf is the opset the model imports for nd's domain.
func (n *net) opsetOf(nd *ir.Node) int64 {
	if b, ok := n.bound[nd]; ok {
		return b.Opset
	}
	return 0
}
