package stats

import "testing"

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		want Spread
	}{
		{nil, Spread{}},
		{[]float64{3}, Spread{3, 3, 3, 1}},
		{[]float64{5, 1, 3}, Spread{3, 1, 5, 3}},
		{[]float64{4, 1, 2, 10}, Spread{3, 1, 10, 4}}, // even: the mean of the middle two
	} {
		in := append([]float64(nil), tc.v...)
		if got := Of(tc.v); got != tc.want {
			t.Errorf("Of(%v) = %+v, want %+v", tc.v, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.v[i] {
				t.Errorf("Of reordered its input: %v", tc.v)
			}
		}
	}
}
