// Learning rate as a pure function of the iteration (number of optimizer
// steps already taken), equal to stepping the torch.optim.lr_scheduler
// equivalents once per iteration.
#pragma once

#include <cstdint>

#include "train/train_options.h"

namespace senet {

double learningRate(const ScheduleOptions& schedule, double baseLr, int64_t iteration, int64_t totalIterations);

}  // namespace senet
