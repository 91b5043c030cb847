// Reference STAPLE values from ITK's STAPLEImageFilter (Debian libinsighttoolkit5-dev 5.2.1).
// Input on stdin: "width height raters" then one line of width*height '0'/'1' characters per rater
// (row-major, the layout of stats/marks/rasterise.ts). Output on stdout: JSON with ITK's
// sensitivity, specificity and elapsed iterations, the foreground count of W >= 0.5, and W for
// each decision pattern seen (W depends on a pixel's pattern of decisions only).
// Build and run: bench/reference/staple-itk.sh
#include <iostream>
#include <map>
#include <string>
#include <vector>
#include <cstdio>
#include "itkImage.h"
#include "itkSTAPLEImageFilter.h"
#include "itkVersion.h"
#include <chrono>

int main() {
  using InImage = itk::Image<unsigned char, 2>;
  using OutImage = itk::Image<double, 2>;
  unsigned w, h, r;
  std::cin >> w >> h >> r;
  auto filter = itk::STAPLEImageFilter<InImage, OutImage>::New();
  filter->SetForegroundValue(1);
  std::vector<std::string> lines(r);
  for (unsigned k = 0; k < r; ++k) {
    std::cin >> lines[k];
    if (lines[k].size() != static_cast<size_t>(w) * h) { std::cerr << "bad mask line " << k << "\n"; return 2; }
    auto img = InImage::New();
    InImage::RegionType region;
    InImage::SizeType size; size[0] = w; size[1] = h;
    region.SetSize(size);
    img->SetRegions(region);
    img->Allocate();
    for (unsigned y = 0; y < h; ++y)
      for (unsigned x = 0; x < w; ++x) {
        InImage::IndexType idx; idx[0] = x; idx[1] = y;
        img->SetPixel(idx, lines[k][y * w + x] == '1' ? 1 : 0);
      }
    filter->SetInput(k, img);
  }
  auto t0 = std::chrono::steady_clock::now();
  filter->Update();
  // Time of the filter alone (not the text parsing), on stderr, for bench/marks.ts.
  std::cerr << "updateMs " << std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() << "\n";
  auto W = filter->GetOutput();
  std::map<std::string, double> byPattern;
  unsigned long fg = 0;
  for (unsigned y = 0; y < h; ++y)
    for (unsigned x = 0; x < w; ++x) {
      OutImage::IndexType idx; idx[0] = x; idx[1] = y;
      double v = W->GetPixel(idx);
      if (v >= 0.5) ++fg;
      std::string pat;
      for (unsigned k = 0; k < r; ++k) pat += lines[k][y * w + x];
      byPattern[pat] = v;
    }
  std::printf("{\"itk\":\"%s\",\"iterations\":%u,\"consensusCount\":%lu,\"sensitivity\":[", itk::Version::GetITKVersion(), filter->GetElapsedIterations(), fg);
  for (unsigned k = 0; k < r; ++k) std::printf("%s%.17g", k ? "," : "", filter->GetSensitivity(k));
  std::printf("],\"specificity\":[");
  for (unsigned k = 0; k < r; ++k) std::printf("%s%.17g", k ? "," : "", filter->GetSpecificity(k));
  std::printf("],\"wByPattern\":{");
  bool first = true;
  for (auto & kv : byPattern) { std::printf("%s\"%s\":%.17g", first ? "" : ",", kv.first.c_str(), kv.second); first = false; }
  std::printf("}}\n");
  return 0;
}
