//! Communication between processes, each in its own file: Queue /
//! JoinableQueue, Pipe, Pool, sockets.
