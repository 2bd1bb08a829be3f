package io.pgmm.replication.pgoutput;

/**
 * A slot sent a message pgmm cannot decode, or one out of the order pgoutput promises. Reading on
 * would only meet it again (the slot resends from the confirmed position), so capture stops on it;
 * any other failure while handing a message on is worth a restart of the stream.
 */
public final class MalformedMessageException extends IllegalArgumentException {

    public MalformedMessageException(String message) {
        super(message);
    }
}
