package verify

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"

	"github.com/bincompress/bincompress/ir"
)

// Image is a PNG to embed in the HTML report, such as a training curve.
type Image struct {
	Title string
	PNG   []byte
}

// MaxConfusionClasses bounds the classes whose confusion matrix the
// HTML page draws and a .bnn keeps (Report.Stored): a cell per pair of
// classes made an ImageNet report (1000 classes) 45 MB that took 13 s to
// write, and its JSON about 2 MB, as much as a binary ResNet-18's weights.
// A larger matrix is left to the JSON report that verify writes.
const MaxConfusionClasses = 100

// WriteHTML writes one self-contained HTML page: the summary, the per-class
// table, the confusion matrix as a heat map (up to MaxConfusionClasses),
// the model's binarization plan (layers; may be nil) and the images embedded as data URIs. It loads
// nothing from elsewhere.
func WriteHTML(w io.Writer, title string, r *Report, images []Image, layers []ir.LayerRecord) error {
	data := struct {
		Title  string
		R      *Report
		Images []htmlImage
		Cells  [][]htmlCell
		Layers []ir.LayerRecord
	}{Title: title, R: r, Layers: layers}
	if len(r.Confusion) <= MaxConfusionClasses {
		data.Cells = confusionCells(r.Confusion)
	}
	for _, im := range images {
		data.Images = append(data.Images, htmlImage{im.Title,
			template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(im.PNG))})
	}
	return htmlPage.Execute(w, data)
}

type htmlImage struct {
	Title string
	Src   template.URL
}

type htmlCell struct {
	Count int
	Style template.CSS
}

// confusionCells shades each cell by its share of the row (its true class).
func confusionCells(conf [][]int) [][]htmlCell {
	out := make([][]htmlCell, len(conf))
	for i, row := range conf {
		total := 0
		for _, c := range row {
			total += c
		}
		for j, c := range row {
			share := 0.0
			if total > 0 {
				share = float64(c) / float64(total)
			}
			hue := 210
			if i != j {
				hue = 0
			}
			light := 100 - int(math.Round(share*55))
			out[i] = append(out[i], htmlCell{c, template.CSS(fmt.Sprintf("background:hsl(%d,70%%,%d%%)", hue, light))})
		}
	}
	return out
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) },
	"pctp": func(x *float64) string {
		if x == nil {
			return "–"
		}
		return fmt.Sprintf("%.2f%%", 100**x)
	},
	"num": func(x *float64) string {
		if x == nil {
			return "–"
		}
		return fmt.Sprintf("%.4g", *x)
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f4f4f4}.pass{color:#060;font-weight:bold}.fail{color:#b00;font-weight:bold}.nogate{color:#840;font-weight:bold}
.conf td{min-width:2.5em}img{max-width:48%;border:1px solid #ddd;margin:4px}
</style></head><body>
<h1>{{.Title}}</h1>
<p class="{{if not .R.Passed}}fail{{else if .R.Gated}}pass{{else}}nogate{{end}}">{{.R.Verdict}}</p>
{{range .R.Failures}}<p class="fail">{{.}}</p>{{end}}
<h2>Summary</h2>
<table>
{{with .R.Model}}<tr><th>model</th><td>{{.Path}}</td></tr>
<tr><th>digest</th><td>{{.Digest}}</td></tr>
{{if .Preprocess}}<tr><th>preprocessing</th><td>{{printf "%s" .Preprocess}}</td></tr>{{end}}
{{end}}<tr><th>images</th><td>{{.R.Images}}</td></tr>
<tr><th>top-1</th><td>{{pct .R.Accuracy}}</td></tr>
<tr><th>top-5</th><td>{{pct .R.Top5}}{{if and (gt .R.Classes 0) (le .R.Classes 5)}} (every image: {{.R.Classes}} classes){{end}}</td></tr>
<tr><th>reference top-1</th><td>{{pctp .R.ReferenceAccuracy}}</td></tr>
<tr><th>drop</th><td>{{pctp .R.Drop}}</td></tr>
<tr><th>agreement</th><td>{{pctp .R.Agreement}}</td></tr>
<tr><th>mean |logit diff|</th><td>{{num .R.MeanAbsLogitDiff}}</td></tr>
<tr><th>max |logit diff|</th><td>{{num .R.MaxAbsLogitDiff}}</td></tr>
</table>
<h2>Per class</h2>
<table><tr><th>class</th><th>images</th><th>top-1</th><th>reference</th></tr>
{{range .R.PerClass}}<tr><td>{{.Class}} {{.Name}}</td><td>{{.Images}}</td><td>{{if .Images}}{{pct .Accuracy}}{{else}}–{{end}}</td><td>{{pctp .ReferenceAccuracy}}</td></tr>
{{end}}</table>
<h2>Confusion matrix</h2>{{if .Cells}}<p>Rows: true class; columns: predicted class.</p>
<table class="conf"><tr><th></th>{{range $i, $row := .Cells}}<th>{{$i}}</th>{{end}}</tr>
{{range $i, $row := .Cells}}<tr><th>{{$i}}</th>{{range $row}}<td style="{{.Style}}">{{.Count}}</td>{{end}}</tr>
{{end}}</table>{{else}}<p>{{.R.Classes}} classes: too many to draw here; the JSON report holds the matrix (<code>confusion</code>).</p>{{end}}
{{if .Layers}}<h2>Layers</h2><p>The binarization plan: each conv and dense layer, binary or kept float and why, its weight's bytes
both ways, and the held-out accuracy it costs binarized alone, where measured (--keep-float auto).</p>
<table><tr><th>layer</th><th>op</th><th>shape</th><th>decision</th><th>sensitivity</th><th>float B</th><th>binary B</th></tr>
{{range .Layers}}<tr><td>{{.Node}}</td><td>{{.Op}}</td><td>{{.Shape}}</td><td style="text-align:left">{{if .Binarized}}binary ({{.Scale}}){{else}}float: {{.Reason}}{{end}}</td><td>{{pctp .Sensitivity}}</td><td>{{.FloatBytes}}</td><td>{{.BinaryBytes}}</td></tr>
{{end}}</table>{{end}}
{{if .Images}}<h2>Training</h2>{{range .Images}}<figure><img alt="{{.Title}}" src="{{.Src}}"><figcaption>{{.Title}}</figcaption></figure>{{end}}{{end}}
</body></html>
`))
