package dev.binlogproxy.downstream.dump;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;

/**
 * A slice of a file sent with {@code FileChannel.transferTo} (sendfile). Unlike Netty's DefaultFileRegion it
 * never closes the channel on release: the channel is the dump's reader's, which reads on after the write.
 */
final class FileSliceRegion extends AbstractReferenceCounted implements FileRegion {

    private final FileChannel file;
    private final long position;
    private final long count;
    private long transferred;

    FileSliceRegion(FileChannel file, long position, long count) {
        this.file = file;
        this.position = position;
        this.count = count;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    @Deprecated
    public long transfered() {
        return transferred;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public long transferTo(WritableByteChannel target, long at) throws IOException {
        long left = count - at;
        if (left <= 0) {
            return 0;
        }
        long n = file.transferTo(position + at, left, target);
        if (n > 0) {
            transferred += n;
        } else if (n == 0 && file.size() < position + count) {
            throw new IOException("file shrank under a region being sent: size " + file.size() + " < "
                    + (position + count));
        }
        return n;
    }

    @Override
    protected void deallocate() {
        // the file channel belongs to the reader
    }

    @Override
    public FileSliceRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public FileSliceRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FileSliceRegion touch() {
        return this;
    }

    @Override
    public FileSliceRegion touch(Object hint) {
        return this;
    }
}
