package dataset

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func symlink(t *testing.T, target, link string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(link), 0o755))
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
}

// TestImageFolderFollowsLinks: a data set assembled from links to folders
// (a class folder, a train/ split, a subfolder inside a class) reads the
// folders they name, as torchvision's ImageFolder does, instead of
// silently dropping those classes or, for a linked train/, taking the test
// split's class folders for one class named "test". A link back to a
// folder it is in is refused, not walked forever.
func TestImageFolderFollowsLinks(t *testing.T) {
	src, root := t.TempDir(), t.TempDir()
	for _, c := range []string{"ant", "bee"} {
		writePNG(t, filepath.Join(src, c, "1.png"), grayImage(2, 2, 0))
		writePNG(t, filepath.Join(root, "test", c, "1.png"), grayImage(2, 2, 0))
	}
	writePNG(t, filepath.Join(src, "more", "2.png"), grayImage(2, 2, 0))
	symlink(t, filepath.Join(src, "more"), filepath.Join(src, "bee", "more"))
	symlink(t, src, filepath.Join(root, "train"))
	s, err := Open(root)
	must(t, err)
	if s.Train == nil || s.Test == nil {
		t.Fatalf("train/ as a link: splits %+v", s)
	}
	tr := s.Train.(*Folder)
	if got := tr.Info().ClassNames; !slices.Equal(got, []string{"ant", "bee", "more"}) || tr.Len() != 4 {
		t.Fatalf("classes %q, %d images", got, tr.Len())
	}
	if !strings.HasSuffix(tr.File(2), filepath.Join("bee", "more", "2.png")) || tr.Label(2) != 1 {
		t.Fatalf("image 2 is %s of class %d, want bee/more/2.png of class 1 (bee)", tr.File(2), tr.Label(2))
	}

	symlink(t, filepath.Join(src, "ant"), filepath.Join(src, "ant", "loop"))
	if _, err := Open(root); err == nil || !strings.Contains(err.Error(), filepath.Join("train", "ant", "loop")) {
		t.Fatalf("link loop: %v", err)
	}
}

// TestImageFolderDanglingLink: an image name that is a link to a file that
// is gone (a data set copied without the files its links name) is refused
// naming the link and its missing target, not called "not a regular file"
// as a FIFO is.
func TestImageFolderDanglingLink(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "a", "1.png"), grayImage(2, 2, 0))
	gone := filepath.Join(t.TempDir(), "gone.png")
	symlink(t, gone, filepath.Join(root, "b", "2.png"))
	_, err := Open(root)
	if err == nil || errors.Is(err, ErrNotRegular) || !errors.Is(err, fs.ErrNotExist) ||
		!strings.Contains(err.Error(), filepath.Join(root, "b", "2.png")+": a link to "+gone+", which does not exist") {
		t.Fatalf("dangling link: %v", err)
	}
}

// TestImageFolderOrderLikeTorchvision: a class folder holding images and
// subfolders lists them as torchvision's ImageFolder.samples does (the
// order below is its), folder by folder sorted by path, not depth first:
// image i of --limit, a holdout or a message is torchvision's image i.
func TestImageFolderOrderLikeTorchvision(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"cls/z.png", "cls/a/1.png", "cls/a/x/2.png", "cls/a b/3.png", "cls/B/4.png", "cls/c.png", "dog/5.png"} {
		writePNG(t, filepath.Join(root, p), grayImage(2, 2, 0))
	}
	f, err := OpenFolder(root)
	must(t, err)
	var got []string
	for i := range f.Len() {
		rel, _ := filepath.Rel(root, f.File(i))
		got = append(got, filepath.ToSlash(rel))
	}
	// torchvision 0.14: [s[0] for s in ImageFolder(root).samples]
	want := []string{"cls/c.png", "cls/z.png", "cls/B/4.png", "cls/a/1.png", "cls/a b/3.png", "cls/a/x/2.png", "dog/5.png"}
	if !slices.Equal(got, want) {
		t.Errorf("order %q, torchvision's %q", got, want)
	}
}
