// ArenaMessageAllocator: gives each call of a callback-API unary method its request and response
// on a protobuf Arena of their own, released whole when the call ends. A reply made of many small
// messages (GetRecordListSummary's rows of google.protobuf.Struct: a map of Values each) is then
// built, serialized and dropped without a malloc and free per part.
#ifndef RUNLEDGER_QUERY_ARENA_MESSAGE_ALLOCATOR_H_
#define RUNLEDGER_QUERY_ARENA_MESSAGE_ALLOCATOR_H_

#include <cstddef>

#include "google/protobuf/arena.h"
#include "grpcpp/support/message_allocator.h"

namespace runledger {

template <typename Request, typename Response>
class ArenaMessageAllocator : public grpc::MessageAllocator<Request, Response> {
 public:
  // The arena's first block; later ones grow up to kMaxBlockBytes.
  static constexpr size_t kFirstBlockBytes = 64 << 10;
  static constexpr size_t kMaxBlockBytes = 1 << 20;

  grpc::MessageHolder<Request, Response>* AllocateMessages() override { return new Holder(); }

 private:
  class Holder : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() : arena_(Options()) {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions Options() {
      google::protobuf::ArenaOptions options;
      options.start_block_size = kFirstBlockBytes;
      options.max_block_size = kMaxBlockBytes;
      return options;
    }

    google::protobuf::Arena arena_;
  };
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_ARENA_MESSAGE_ALLOCATOR_H_
