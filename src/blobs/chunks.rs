//! The buffers one transfer moves its bytes in. A download or upload takes a few buffers
//! and uses them in turn: a buffer whose last chunk has been sent on (to the socket, to the
//! disk) and dropped is filled again in place instead of being freed and allocated anew.
//! So a transfer allocates its buffers once whatever its size, its memory is bounded by
//! their number, and the allocator never sees the per-chunk churn that left freed
//! megabytes stranded in its per-thread arenas.

use bytes::{Bytes, BytesMut};

pub struct ChunkBuffers {
    bufs: Vec<BytesMut>,
    current: usize,
    size: usize,
}

impl ChunkBuffers {
    /// `count` buffers of `size` bytes; only the first is allocated now, the others when
    /// first needed, so a small transfer costs one small buffer.
    pub fn new(count: usize, size: usize) -> ChunkBuffers {
        let mut bufs: Vec<BytesMut> = (0..count.max(1)).map(|_| BytesMut::new()).collect();
        bufs[0].reserve(size);
        ChunkBuffers {
            bufs,
            current: 0,
            size,
        }
    }

    /// The buffer being filled.
    pub fn current(&mut self) -> &mut BytesMut {
        &mut self.bufs[self.current]
    }

    /// Hands out what the current buffer holds and moves on to the next one. That one is
    /// reclaimed in place when the chunk it gave out last has been dropped, and replaced by
    /// a fresh allocation only while that chunk is still held.
    pub fn take(&mut self) -> Bytes {
        let chunk = self.bufs[self.current].split().freeze();
        self.current = (self.current + 1) % self.bufs.len();
        self.bufs[self.current].reserve(self.size);
        chunk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(buffers: &mut ChunkBuffers, byte: u8) -> Bytes {
        let size = buffers.size;
        let buf = buffers.current();
        assert!(buf.capacity() >= size);
        buf.resize(size, byte);
        buffers.take()
    }

    #[test]
    fn a_buffer_is_reused_once_its_chunk_is_dropped() {
        let mut buffers = ChunkBuffers::new(2, 4096);
        let first = fill(&mut buffers, 1);
        let first_at = first.as_ptr();
        drop(first);
        let second = fill(&mut buffers, 2);
        drop(second);
        // Back to the first buffer: the same memory, and the new bytes in it.
        let third = fill(&mut buffers, 3);
        assert_eq!(third.as_ptr(), first_at);
        assert!(third.iter().all(|&b| b == 3));
    }

    #[test]
    fn a_chunk_still_held_is_never_overwritten() {
        let mut buffers = ChunkBuffers::new(2, 4096);
        let held = fill(&mut buffers, 1);
        let _second = fill(&mut buffers, 2);
        let third = fill(&mut buffers, 3);
        assert_ne!(third.as_ptr(), held.as_ptr());
        assert!(held.iter().all(|&b| b == 1));
        assert!(third.iter().all(|&b| b == 3));
    }

    #[test]
    fn a_partly_filled_buffer_gives_out_just_its_bytes() {
        let mut buffers = ChunkBuffers::new(3, 4096);
        buffers.current().extend_from_slice(b"abc");
        assert_eq!(&buffers.take()[..], b"abc");
        assert!(buffers.current().is_empty());
    }
}
