// transformers.cpp: Transformers.js-style pipelines for C++. Include this one header.
#pragma once

#include "transformers/dynamic_batcher.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"
#include "transformers/memory.hpp"
#include "transformers/memory_report.hpp"
#include "transformers/model_folder.hpp"
#include "transformers/pipeline.hpp"
#include "transformers/pipeline_manager.hpp"
#include "transformers/tensor.hpp"
#include "transformers/tokenizer.hpp"
#include "transformers/worker.hpp"
#include "transformers/worker_pool.hpp"
