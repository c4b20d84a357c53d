package onnx

import (
	"fmt"
	"math"
	"reflect"

	"github.com/bincompress/bincompress/ir"
)

// diffModels returns "" when a and b are equal IR, or the path of the first
// difference. Floats compare by bits (so NaN equals itself), nil and empty
// slices are equal except for ValueInfo.Shape, where nil means unknown rank.
func diffModels(a, b *ir.Model) string {
	return diffValue("model", reflect.ValueOf(a), reflect.ValueOf(b))
}

func diffTensors(a, b *ir.Tensor) string {
	return diffValue("tensor", reflect.ValueOf(a), reflect.ValueOf(b))
}

func diffValue(path string, a, b reflect.Value) string {
	if a.Kind() != b.Kind() {
		return fmt.Sprintf("%s: kind %v vs %v", path, a.Kind(), b.Kind())
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return fmt.Sprintf("%s: nil vs non-nil", path)
			}
			return ""
		}
		if a.Kind() == reflect.Interface && a.Elem().Type() != b.Elem().Type() {
			return fmt.Sprintf("%s: %v vs %v", path, a.Elem().Type(), b.Elem().Type())
		}
		return diffValue(path, a.Elem(), b.Elem())
	case reflect.Struct:
		return diffStruct(path, a, b)
	case reflect.Slice:
		return diffSlice(path, a, b)
	case reflect.Float32:
		if math.Float32bits(a.Interface().(float32)) != math.Float32bits(b.Interface().(float32)) {
			return fmt.Sprintf("%s: %v vs %v", path, a.Float(), b.Float())
		}
		return ""
	case reflect.Float64:
		if math.Float64bits(a.Float()) != math.Float64bits(b.Float()) {
			return fmt.Sprintf("%s: %v vs %v", path, a.Float(), b.Float())
		}
		return ""
	}
	if !a.Equal(b) {
		return fmt.Sprintf("%s: %v vs %v", path, a, b)
	}
	return ""
}

func diffStruct(path string, a, b reflect.Value) string {
	for i := 0; i < a.NumField(); i++ {
		name := a.Type().Field(i).Name
		fa, fb := a.Field(i), b.Field(i)
		if name == "Shape" && fa.Type() == reflect.TypeOf([]ir.Dim(nil)) && fa.IsNil() != fb.IsNil() {
			return fmt.Sprintf("%s.Shape: nil vs non-nil", path)
		}
		if d := diffValue(path+"."+name, fa, fb); d != "" {
			return d
		}
	}
	return ""
}

func diffSlice(path string, a, b reflect.Value) string {
	if a.Len() != b.Len() {
		return fmt.Sprintf("%s: length %d vs %d", path, a.Len(), b.Len())
	}
	for i := 0; i < a.Len(); i++ {
		if d := diffValue(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i)); d != "" {
			return d
		}
	}
	return ""
}
