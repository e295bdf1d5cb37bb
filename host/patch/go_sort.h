#pragma once

#include <cstddef>

/// @file go_sort.h
/// goSliceStable: Go's sort.SliceStable (insertion sort on blocks of 20, then SymMerge), step for
/// step. kube's strategic merge patch sorts list items with a comparison that is not a strict weak
/// order (items missing from the order list compare "less" both ways), so the resulting order
/// depends on the exact algorithm; reproducing it gives kube's order for such lists too.
/// Internal to the patch library; exposed for its tests.

namespace apiserver::patch::detail {

/// gosort holds the steps of Go's stable sort (sort/zsortfunc.go), by index.
namespace gosort {

/// insertionSort sorts [a, b) by insertion (Go's insertionSort_func).
template <class Less, class Swap>
void insertionSort(Less& less, Swap& swap, std::size_t a, std::size_t b) {
  for (std::size_t i = a + 1; i < b; ++i)
    for (std::size_t j = i; j > a && less(j, j - 1); --j)
      swap(j, j - 1);
}

/// swapRange swaps the n elements at a with the n elements at b.
template <class Swap>
void swapRange(Swap& swap, std::size_t a, std::size_t b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    swap(a + i, b + i);
}

/// rotate exchanges the blocks [a, m) and [m, b) (Go's rotate, by block swaps).
template <class Swap>
void rotate(Swap& swap, std::size_t a, std::size_t m, std::size_t b) {
  std::size_t i = m - a;
  std::size_t j = b - m;
  while (i != j) {
    if (i > j) {
      swapRange(swap, m - i, m, j);
      i -= j;
    } else {
      swapRange(swap, m - i, m + j - i, i);
      j -= i;
    }
  }
  swapRange(swap, m - i, m, i);
}

/// symMerge merges the sorted runs [a, m) and [m, b) in place (Go's SymMerge, Kim & Kutzner).
template <class Less, class Swap>
void symMerge(Less& less, Swap& swap, std::size_t a, std::size_t m, std::size_t b) {
  if (m - a == 1) {
    // Binary search for the first element of [m, b) not less than data[a], then move a there.
    std::size_t i = m;
    std::size_t j = b;
    while (i < j) {
      std::size_t h = (i + j) / 2;
      if (less(h, a)) {
        i = h + 1;
      } else {
        j = h;
      }
    }
    for (std::size_t k = a; k + 1 < i; ++k)
      swap(k, k + 1);
    return;
  }
  if (b - m == 1) {
    std::size_t i = a;
    std::size_t j = m;
    while (i < j) {
      std::size_t h = (i + j) / 2;
      if (!less(m, h)) {
        i = h + 1;
      } else {
        j = h;
      }
    }
    for (std::size_t k = m; k > i; --k)
      swap(k, k - 1);
    return;
  }
  std::size_t mid = (a + b) / 2;
  std::size_t n = mid + m;
  std::size_t start;
  std::size_t r;
  if (m > mid) {
    start = n - b;
    r = mid;
  } else {
    start = a;
    r = m;
  }
  std::size_t p = n - 1;
  while (start < r) {
    std::size_t c = (start + r) / 2;
    if (!less(p - c, c)) {
      start = c + 1;
    } else {
      r = c;
    }
  }
  std::size_t end = n - start;
  if (start < m && m < end)
    rotate(swap, start, m, end);
  if (a < start && start < mid)
    symMerge(less, swap, a, start, mid);
  if (mid < end && end < b)
    symMerge(less, swap, mid, end, b);
}

}  // namespace gosort

/// goSliceStable sorts the n elements addressed by index: `less(i, j)` compares the elements now
/// at positions i and j, `swap(i, j)` exchanges them.
template <class Less, class Swap>
void goSliceStable(std::size_t n, Less less, Swap swap) {
  std::size_t blockSize = 20;
  std::size_t a = 0;
  std::size_t b = blockSize;
  while (b <= n) {
    gosort::insertionSort(less, swap, a, b);
    a = b;
    b += blockSize;
  }
  gosort::insertionSort(less, swap, a, n);
  while (blockSize < n) {
    a = 0;
    b = 2 * blockSize;
    while (b <= n) {
      gosort::symMerge(less, swap, a, a + blockSize, b);
      a = b;
      b += 2 * blockSize;
    }
    if (std::size_t m = a + blockSize; m < n)
      gosort::symMerge(less, swap, a, m, n);
    blockSize *= 2;
  }
}

}  // namespace apiserver::patch::detail
